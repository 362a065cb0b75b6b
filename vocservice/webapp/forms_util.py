"""Loading HTML form posts through the API's marshmallow schemas, so the web app and the API
accept exactly the same values; errors come back as field -> messages for the template.

Flat forms use :func:`load_form`. Forms with repeatable rows (conditions, translations) build
the API's JSON shape themselves and use :func:`load_data`, whose errors are flattened to dotted
keys (``conditions.0.value``, ``translations.de.value.question``) the page maps back to inputs.
"""

from marshmallow import Schema, ValidationError


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error messages as ``{"a.0.b": [message, ...]}``."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for inner, found in flatten(value, name).items():
                out.setdefault(inner, []).extend(found)
        return out
    if isinstance(messages, list | tuple):
        flat: list[str] = []
        nested: dict[str, list[str]] = {}
        for item in messages:
            if isinstance(item, dict | list | tuple):
                for inner, found in flatten(item, prefix).items():
                    nested.setdefault(inner, []).extend(found)
            else:
                flat.append(str(item))
        if flat:
            nested.setdefault(prefix or "_", []).extend(flat)
        return nested
    return {prefix or "_": [str(messages)]}


def load_data(schema: Schema, raw: dict) -> tuple[dict | None, dict[str, list[str]]]:
    """Load ``raw`` (already shaped as the API's JSON body) with ``schema``."""
    try:
        return schema.load(raw), {}
    except ValidationError as error:
        return None, flatten(error.messages)


def load_form(schema: Schema, form, fields: tuple[str, ...]) -> tuple[dict | None, dict]:
    """Read ``fields`` from the form (empty text counts as absent) and load them."""
    raw: dict = {}
    for name in fields:
        value = (form.get(name) or "").strip()
        if value == "":
            continue
        raw[name] = value  # marshmallow converts and validates numbers itself
    try:
        return schema.load(raw), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        return None, {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}
