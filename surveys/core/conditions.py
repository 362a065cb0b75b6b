"""Who to ask: touchpoint conditions, deterministic sampling and fatigue (recontact) rules.

Each check answers with a suppression reason or None, so every decision not to ask is recorded
with its cause on the invitation row.
"""

from typing import Any

OPERATORS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "exists")
_MISSING = object()


def resolve(field: str, context: dict) -> Any:
    """Look up a dotted path such as ``contact.attributes.plan`` or ``event.properties.total``."""
    value: Any = context
    for part in field.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return (actual is not _MISSING and actual is not None) == bool(expected)
    if actual is _MISSING:
        return op == "ne"
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return isinstance(expected, list) and actual in expected
    try:
        if op == "gt":
            return actual > expected
        if op == "gte":
            return actual >= expected
        if op == "lt":
            return actual < expected
        if op == "lte":
            return actual <= expected
    except TypeError:
        return False  # comparing a string with a number is simply "no match"
    return False


def conditions_match(conditions: list[dict], context: dict) -> bool:
    return all(
        _compare(c["op"], resolve(c["field"], context), c.get("value", True)) for c in conditions
    )
