"""Conditions over a context of nested dicts (``contact.attributes.plan``, ``event.properties.x``).

Touchpoint conditions use these operators (``OPERATORS``); segments give them the same meaning in
SQL. A missing field matches ``ne`` and ``exists: false`` only; an order comparison between values
that cannot be ordered (a string and a number) is no match, never an error.
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
    return all(_compare(c["op"], resolve(c["field"], context), c.get("value", True)) for c in conditions)
