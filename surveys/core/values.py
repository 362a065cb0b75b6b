"""Free-form values: the JSON objects customers' systems send us (contact attributes, event
properties, response metadata, condition values) are checked here before they are stored, and
read back through :func:`as_number` so a value stored before these checks can never break a sum.

Rules (one place, so the HTTP API, the CSV import, the CLI and anything else agree):

- a number must be finite (no NaN, no Infinity) and within the JSON-safe integer range
  ``±(2**53 - 1)`` (9,007,199,254,740,991), for integers and floats alike: beyond it JSON
  readers lose precision and SQL casts overflow, and no attribute (revenue included) needs more;
- objects and lists nest at most ``MAX_DEPTH`` levels below the top object, hold at most
  ``MAX_KEYS`` keys / ``MAX_ITEMS`` items each, keys are 1..``MAX_KEY_LENGTH`` characters;
- strings hold at most ``MAX_STRING`` characters, no NUL and no lone UTF-16 surrogates (neither
  can be stored in PostgreSQL text or JSONB);
- the whole object serialises to at most ``MAX_BYTES`` bytes of JSON;
- only JSON types: null, true/false, numbers, strings, lists and objects with string keys;
- a contact's attributes, merged with those stored, keep at most ``MAX_CONTACT_ATTRIBUTES`` keys
  and ``MAX_CONTACT_BYTES``: an event or answer that would grow them further is refused whole
  (422 naming ``contact.attributes``), so nothing is stored in part.

Readers call :func:`as_number`: anything that is not such a number (a bool, a string, a nested
object, a number out of range, NaN) is "not a number" (None), never an exception; JSON columns
are read with :func:`json_loads`, which never fails on a number either.
"""

import json
import math
import re
from typing import Any

from surveys.core.errors import Invalid

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 5
MAX_KEYS = 200
MAX_ITEMS = 200
MAX_KEY_LENGTH = 200
MAX_STRING = 4096
MAX_BYTES = 16 * 1024
MAX_INT_DIGITS = 4000  # below Python's own int-from-text limit (4,300 digits)
# Contacts' attributes are merged across events and answers: the merged object is capped too.
MAX_CONTACT_ATTRIBUTES = 100
MAX_CONTACT_BYTES = 16 * 1024
# A NUL or a lone surrogate: one regex scan in C instead of a Python loop over every character.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_number(value: Any) -> bool:
    """True for a real JSON number we accept: not a bool, finite, within ±(2**53 - 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER  # exact for ints of any size


def as_number(value: Any) -> float | None:
    """A stored value as a number, or None when it is not one (see :func:`is_number`).

    Numeric strings are not numbers here: attributes are typed, as segments compare them."""
    return float(value) if is_number(value) else None


def _string_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"at most {limit} characters"
    if _UNSTORABLE.search(value) is None:
        return None
    if "\x00" in value:
        return "NUL characters are not accepted"
    return "not valid Unicode (a lone surrogate)"


# Bytes a JSON number, null or boolean takes at most: an integer within ±(2**53 - 1) is 17
# characters, a float's repr at most 24 (``-2.2250738585072014e-308``).
_SCALAR_BYTES = 24


def _walk(value: Any, path: list[str], depth: int, found: list[tuple[str, str]]) -> int:
    """Append what is wrong with ``value`` to ``found``; return an upper bound on the bytes of its
    compact JSON (a character takes at most 6: ``\\u001f``), so the exact size, a serialisation,
    is only needed for an object that might exceed the limit."""
    if value is None or isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        if not is_number(value):
            found.append((".".join(path), f"must be a finite number within ±{MAX_SAFE_INTEGER} (2**53 - 1)"))
        return _SCALAR_BYTES
    if isinstance(value, str):
        if problem := _string_problem(value, MAX_STRING):
            found.append((".".join(path), problem))
        return 2 + 6 * len(value)
    if isinstance(value, dict | list | tuple):
        here = ".".join(path)
        if depth > MAX_DEPTH:
            found.append((here, f"nested deeper than {MAX_DEPTH} levels"))
            return 0
        bound = 2
        if isinstance(value, dict):
            if len(value) > MAX_KEYS:
                found.append((here, f"at most {MAX_KEYS} keys"))
                return 0
            for key, item in value.items():
                if not isinstance(key, str) or not key:
                    found.append((here, "keys must be non-empty strings"))
                    return 0
                if problem := _string_problem(key, MAX_KEY_LENGTH):
                    found.append((".".join([*path, key[:40]]), f"key: {problem}"))
                    continue
                bound += 4 + 6 * len(key) + _walk(item, [*path, key], depth + 1, found)
        else:
            if len(value) > MAX_ITEMS:
                found.append((here, f"at most {MAX_ITEMS} items"))
                return 0
            for index, item in enumerate(value):
                bound += 1 + _walk(item, [*path, str(index)], depth + 1, found)
        return bound
    found.append((".".join(path), f"not a JSON value ({type(value).__name__})"))
    return 0


def problems(obj: Any, *, max_keys: int | None = None, max_bytes: int = MAX_BYTES) -> list[tuple[str, str]]:
    """(path below ``obj``, message) for everything wrong with a free-form object; [] when fine.

    Paths are dotted (``arr``, ``address.zip``, ``tags.3``); "" is the object itself."""
    if not isinstance(obj, dict):
        return [("", "must be an object")]
    if max_keys is not None and len(obj) > max_keys:
        return [("", f"at most {max_keys} keys")]
    found: list[tuple[str, str]] = []
    bound = _walk(obj, [], 0, found)
    if not found and bound > max_bytes and _size(obj) > max_bytes:
        found.append(("", f"at most {max_bytes // 1024} KiB once serialised as JSON"))
    return found[:20]  # enough to fix the input; never an answer as big as the attack


def _size(obj: Any) -> int:
    """Bytes of compact UTF-8 JSON; never raises (a stored oddity only counts as its repr)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=repr)
    return len(text.encode("utf-8", "surrogatepass"))


def _flat_bound(obj: dict) -> int | None:
    """An upper bound on the JSON bytes of a flat object of strings and scalars (the usual
    contact attributes), without serialising it; None when it holds anything else."""
    bound = 2
    for key, value in obj.items():
        if not isinstance(key, str):
            return None
        if isinstance(value, str):
            bound += 6 * len(value) + 2
        elif value is None or isinstance(value, bool) or is_number(value):
            bound += _SCALAR_BYTES
        else:  # nested, or a number stored before these checks: serialise it
            return None
        bound += 4 + 6 * len(key)
    return bound


def _join(field: str, path: str) -> str:
    return f"{field}.{path}" if field and path else field or path


def _raise(found: list[tuple[str, str]], field: str) -> None:
    if found:
        errors: dict[str, list[str]] = {}
        for path, message in found:
            errors.setdefault(_join(field, path), []).append(message)
        first = next(iter(errors))
        raise Invalid(f"{first}: {errors[first][0]}.", errors=errors)


def check_free_form(obj: Any, field: str, *, max_keys: int | None = None, max_bytes: int = MAX_BYTES) -> None:
    """Refuse a free-form object (see the module's rules) with :class:`Invalid` naming the paths
    at fault, e.g. ``{"contact.attributes.arr": ["must be a finite number ..."]}``."""
    _raise(problems(obj, max_keys=max_keys, max_bytes=max_bytes), field)


class ContactAttributesFull(Invalid):
    """A contact's merged attributes would exceed the cap; ``contact`` names it, so a batch can
    refuse just the items of that contact."""

    def __init__(self, detail: str, *, errors: dict, contact: str) -> None:
        super().__init__(detail, errors=errors)
        self.contact = contact


def check_contact_attributes(
    attributes: Any, field: str = "contact.attributes", *, contact: str = ""
) -> None:
    """A contact's attributes once merged with what is stored: at most ``MAX_CONTACT_ATTRIBUTES``
    keys and ``MAX_CONTACT_BYTES`` of JSON. Sizes only: the incoming part was checked already,
    and a value stored before these checks must not block every later event of the contact."""
    attributes = attributes if isinstance(attributes, dict) else {}
    if len(attributes) > MAX_CONTACT_ATTRIBUTES:
        message = f"at most {MAX_CONTACT_ATTRIBUTES} keys per contact, merged with those stored"
    elif ((_flat_bound(attributes) or MAX_CONTACT_BYTES + 1) > MAX_CONTACT_BYTES) and (
        _size(attributes) > MAX_CONTACT_BYTES
    ):
        message = f"at most {MAX_CONTACT_BYTES // 1024} KiB per contact, merged with those stored"
    else:
        return
    who = f" (contact {contact[:200]!r})" if contact else ""
    raise ContactAttributesFull(f"{field}{who}: {message}.", errors={field: [message]}, contact=contact)


def check_value(value: Any, field: str) -> None:
    """One value stored on its own (a condition's comparison value): the same rules."""
    found: list[tuple[str, str]] = []
    _walk(value, [], 1, found)
    _raise(found[:20], field)


def messages(obj: Any, *, max_keys: int | None = None) -> list[str]:
    """The problems as ``"path: message"`` lines, for marshmallow validators (which nest the
    field names themselves)."""
    return [f"{path}: {message}" if path else message for path, message in problems(obj, max_keys=max_keys)]


def _parse_int(digits: str) -> int | str:
    # Python refuses integers of more than 4,300 digits (a guard against quadratic parsing):
    # such a stored value reads back as its digits, a string, "not a number" to every reader.
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` for stored JSON columns that never fails on a number: the engine's
    ``json_deserializer``, so a row written before these checks can still be read (and deleted)."""
    return json.loads(text, parse_int=_parse_int)
