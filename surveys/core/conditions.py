"""Conditions over a context of nested dicts (``contact.attributes.plan``, ``event.properties.x``).

Touchpoint conditions use these operators (``OPERATORS``); segments give them the same meaning in
SQL. A missing field matches ``ne`` and ``exists: false`` only. Comparisons are typed and total:
``eq`` needs the same JSON type (``1`` is neither ``true`` nor ``"1"``), ``gt/gte/lt/lte`` order
numbers with numbers and strings with strings, and anything else, including a value stored before
the checks of :mod:`surveys.core.values` (a 400-digit integer, a nested object), is no match,
never an error.
"""

from typing import Any

from surveys.core.values import is_number

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


def kind(value: Any) -> str:
    """The JSON type of a value as conditions see it. Numbers outside what
    :func:`surveys.core.values.is_number` accepts (NaN, ±Infinity, beyond ±(2**53 - 1)) are
    ``"other"``: equal to nothing, ordered with nothing. Objects and lists are ``"structure"``:
    equal to an equal structure, ordered with nothing."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if is_number(value):
        return "number"
    if isinstance(value, dict | list):
        return "structure"
    return "other"


def _equal(actual: Any, expected: Any) -> bool:
    # Typed, as in SQL: 1 is not true, "1" is not 1; a value of kind "other" equals nothing.
    same = kind(actual)
    return same != "other" and same == kind(expected) and actual == expected


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return (actual is not _MISSING and actual is not None) == bool(expected)
    if actual is _MISSING:
        return op == "ne"
    if op == "eq":
        return _equal(actual, expected)
    if op == "ne":
        return not _equal(actual, expected)
    if op == "in":
        return isinstance(expected, list) and any(_equal(actual, item) for item in expected)
    if op not in ("gt", "gte", "lt", "lte"):
        return False
    # Order only numbers with numbers and strings with strings; anything else is "no match".
    both = kind(actual)
    if both not in ("number", "string") or both != kind(expected):
        return False
    if op == "gt":
        return actual > expected
    if op == "gte":
        return actual >= expected
    if op == "lt":
        return actual < expected
    return actual <= expected


def conditions_match(conditions: list[dict], context: dict) -> bool:
    return all(_compare(c["op"], resolve(c["field"], context), c.get("value", True)) for c in conditions)
