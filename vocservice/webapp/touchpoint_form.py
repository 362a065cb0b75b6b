"""The touchpoint form's fields and the API's JSON shape, both ways.

A product manager types a delay with a unit, a sample rate in percent, the ``cancel_on`` events
as a comma- or line-separated list and each condition as a row (field, operator, value type,
value). :func:`parse` turns a post into the body the API takes (loaded by the API's own schema
afterwards, so both accept exactly the same touchpoints) plus the errors only the form can make
(a value that is not a number); :func:`schema_errors` puts the schema's errors, named in the
API's terms (``conditions.2.value``, ``sample_rate``), back on the inputs that produced them.
"""

import json
import re

from surveys.core.conditions import OPERATORS
from surveys.core.values import is_number

# Rows a product manager may add with the "Add condition" button; rows beyond that (a touchpoint
# made through the API, which allows up to 50) are still shown and kept.
MAX_CONDITION_ROWS = 10
MAX_POSTED_ROWS = 100  # more row indices than any form shows: refused, not parsed
UNITS = {"minutes": 60, "hours": 3600, "days": 86400, "seconds": 1}
OPERATOR_LABELS = {
    "eq": "equals",
    "ne": "does not equal",
    "in": "is one of",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "exists": "is present",
}
assert set(OPERATOR_LABELS) == set(OPERATORS)
VALUE_TYPES = {
    "text": "Text",
    "number": "Number",
    "boolean": "Yes/no (true or false)",
    "list": "List of text (comma-separated)",
    "numbers": "List of numbers (comma-separated)",
    "json": "JSON",
}
SIMPLE_FIELDS = (
    "name",
    "event",
    "survey_id",
    "channel",
    "webhook_url",
    "recontact_days",
    "expires_after_days",
    "reminder_after_days",
)
_ROW = re.compile(r"conditions-(\d{1,6})-(field|op|type|value)\Z")
_NUMBER = re.compile(r"-?\d{1,20}(\.\d{1,20})?([eE][-+]?\d{1,3})?\Z")


class _Bad(ValueError):
    pass


def blank_condition() -> dict:
    return {"field": "", "op": "eq", "type": "text", "value": ""}


def defaults(survey_id: str = "") -> dict:
    """What a new touchpoint's form shows: the API's defaults."""
    return {
        "name": "",
        "event": "",
        "survey_id": survey_id,
        "channel": "email",
        "webhook_url": "",
        "delay_value": "0",
        "delay_unit": "hours",
        "sample_percent": "100",
        "recontact_days": "",
        "expires_after_days": "14",
        "reminder_after_days": "",
        "cancel_on": "",
        "active": True,
        "conditions": [],
    }


def _number_text(value) -> str:
    return json.dumps(value)


def condition_row(condition: dict) -> dict:
    """One stored condition as form inputs, choosing the value type that reads back the same."""
    value = condition.get("value", True)
    op = condition.get("op", "eq")
    if isinstance(value, bool):
        kind, text = "boolean", "true" if value else "false"
    elif is_number(value):
        kind, text = "number", _number_text(value)
    elif isinstance(value, str) and value == value.strip():
        kind, text = "text", value
    elif isinstance(value, list) and value and all(is_number(v) for v in value):
        kind, text = "numbers", ", ".join(_number_text(v) for v in value)
    elif (
        isinstance(value, list)
        and value
        and all(isinstance(v, str) and v and v == v.strip() and "," not in v for v in value)
    ):
        kind, text = "list", ", ".join(value)
    else:
        kind, text = "json", json.dumps(value, ensure_ascii=False)
    return {"field": str(condition.get("field", "")), "op": op, "type": kind, "value": text}


def values_of(touchpoint) -> dict:
    """A stored touchpoint as form inputs."""
    delay = touchpoint.delay_seconds or 0
    unit = (
        "hours"
        if delay == 0
        else next(u for u in ("days", "hours", "minutes", "seconds") if delay % UNITS[u] == 0)
    )
    return {
        "name": touchpoint.name,
        "event": touchpoint.event,
        "survey_id": touchpoint.survey_id,
        "channel": touchpoint.channel,
        "webhook_url": touchpoint.webhook_url or "",
        "delay_value": str(delay // UNITS[unit]),
        "delay_unit": unit,
        "sample_percent": f"{touchpoint.sample_rate * 100:.10g}",
        "recontact_days": "" if touchpoint.recontact_days is None else str(touchpoint.recontact_days),
        "expires_after_days": str(touchpoint.expires_after_days),
        "reminder_after_days": ""
        if touchpoint.reminder_after_days is None
        else str(touchpoint.reminder_after_days),
        "cancel_on": ", ".join(touchpoint.cancel_on or []),
        "active": touchpoint.active,
        "conditions": [condition_row(c) for c in touchpoint.conditions or [] if isinstance(c, dict)],
    }


def posted_values(form) -> tuple[dict, dict[str, list[str]]]:
    """The inputs of a post, as the form shows them again (nothing lost on an error)."""
    values = {name: (form.get(name) or "") for name in (*SIMPLE_FIELDS, "delay_value", "sample_percent")}
    values["delay_unit"] = form.get("delay_unit") or "hours"
    # The API's own names are understood too (posts made for the earlier, simpler form).
    for name, shown in (("delay_seconds", "delay_value"), ("sample_rate", "sample_percent")):
        if not values[shown].strip() and (form.get(name) or "").strip():
            values[name] = form.get(name).strip()
    values["cancel_on"] = form.get("cancel_on") or ""
    # A hidden "0" precedes the checkbox's "1": the last one sent is the state; neither (a post
    # from a client without the box) keeps the API's default.
    states = form.getlist("active")
    values["active"] = states[-1] == "1" if states else True
    rows: dict[int, dict] = {}
    errors: dict[str, list[str]] = {}
    for key in form:
        if match := _ROW.match(key):
            rows.setdefault(int(match.group(1)), blank_condition())[match.group(2)] = form.get(key) or ""
    if len(rows) > MAX_POSTED_ROWS:
        errors["conditions"] = [f"At most {MAX_POSTED_ROWS} condition rows can be sent."]
        rows = {}
    values["conditions"] = [rows[i] for i in sorted(rows)]
    return values, errors


def _number(text: str):
    if not _NUMBER.fullmatch(text):
        raise _Bad("Not a valid number.")
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def _typed(kind: str, text: str):
    text = text.strip()
    if kind == "text":
        return text
    if kind == "number":
        return _number(text)
    if kind == "boolean":
        if text.lower() in ("true", "yes"):
            return True
        if text.lower() in ("false", "no"):
            return False
        raise _Bad("Enter true or false.")
    if kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind == "numbers":
        return [_number(item.strip()) for item in text.split(",") if item.strip()]
    if kind == "json":
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise _Bad("Not valid JSON.") from None
    raise _Bad("Not a valid choice.")


def is_blank(row: dict) -> bool:
    return not row["field"].strip() and not row["value"].strip()


def to_body(values: dict, errors: dict[str, list[str]]) -> tuple[dict, list[int]]:
    """The API body for ``values``; form-only errors are added to ``errors``. Also returns, for
    each condition sent, the index of the row it came from (blank rows are not sent)."""
    body: dict = {}
    for name in SIMPLE_FIELDS:
        text = values[name].strip()
        if text:
            body[name] = text
    for name in ("delay_seconds", "sample_rate"):
        if name in values:
            body[name] = values[name]  # converted and checked by the schema
    delay = values["delay_value"].strip()
    if delay:
        if values["delay_unit"] not in UNITS:
            errors["delay"] = ["Not a valid unit."]
        elif not re.fullmatch(r"\d{1,9}", delay):
            errors["delay"] = ["Enter a whole number, 0 or more."]
        else:
            body["delay_seconds"] = int(delay) * UNITS[values["delay_unit"]]
    percent = values["sample_percent"].strip().rstrip("%").strip()
    if percent:
        try:
            body["sample_rate"] = _number(percent) / 100
        except _Bad as bad:
            errors["sample_rate"] = [str(bad)]
    events = [item.strip() for item in re.split(r"[,\n]", values["cancel_on"]) if item.strip()]
    body["cancel_on"] = events
    body["active"] = values["active"]
    conditions, origin = [], []
    for index, row in enumerate(values["conditions"]):
        if is_blank(row):
            continue
        condition = {"field": row["field"].strip(), "op": row["op"]}
        if not (row["op"] == "exists" and not row["value"].strip()):  # "is present" needs no value
            try:
                condition["value"] = _typed(row["type"], row["value"])
            except _Bad as bad:
                errors[f"conditions.{index}.value"] = [str(bad)]
                continue  # not sent: the schema's checks of a stand-in value would only confuse
        conditions.append(condition)
        origin.append(index)
    body["conditions"] = conditions
    return body, origin


def schema_errors(found: dict[str, list[str]], origin: list[int], errors: dict[str, list[str]]) -> None:
    """Put the schema's (or a service's) errors, named as in the API, on the form's inputs."""
    for key, messages in found.items():
        parts = key.split(".")
        if parts[0] == "delay_seconds":
            target, messages = "delay", [_in_days(m) for m in messages]
        elif parts[0] == "sample_rate":
            target = "sample_rate"
            messages = ["Must be between 0 and 100 %." if "greater than" in m else m for m in messages]
        elif parts[0] == "cancel_on":
            target = "cancel_on"
            if len(parts) > 1 and parts[1].isdigit():
                messages = [f"Event {int(parts[1]) + 1}: {m}" for m in messages]
        elif parts[0] == "conditions" and len(parts) > 1 and parts[1].isdigit():
            sent = int(parts[1])
            row = origin[sent] if sent < len(origin) else sent
            name = parts[2] if len(parts) > 2 and parts[2] in ("field", "op", "value") else "value"
            target = f"conditions.{row}.{name}"
        else:
            target = parts[0]
        errors.setdefault(target, []).extend(m for m in messages if m not in errors.get(target, []))


def _in_days(message: str) -> str:
    return "Must be between 0 and 90 days." if "greater than" in message else message
