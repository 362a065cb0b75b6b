"""Reading numbers out of contact attributes, totally: a JSON number we accept (finite, within
±(2**53 - 1), not a bool) or a plain decimal string such as ``"12000"`` or ``"-3.5"`` is a number;
anything else (``"n/a"``, ``"1e999"``, ``""``, ``"12,000"``, ``true``, an object) is "not a
number" (None), never an exception."""

import re
from typing import Any

from surveys.core.values import as_number

_DECIMAL = re.compile(r"-?\d{1,15}(\.\d{1,6})?")


def read_number(value: Any) -> float | None:
    if isinstance(value, str):
        text = value.strip()
        return float(text) if _DECIMAL.fullmatch(text) else None
    return as_number(value)


def read_key(value: Any) -> str | None:
    """An account key: a non-empty string (trimmed, at most 200 characters) or a whole number;
    anything else (missing, empty, a bool, an object) is no account."""
    if isinstance(value, str):
        text = value.strip()[:200]
        return text or None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
        return str(value)
    return None
