"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

import re
from datetime import UTC, date, datetime

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
)

from surveys.core import values
from surveys.core.db import rfc3339

LOCALE = validate.Regexp(
    r"^(?=.{2,16}\Z)[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z",
    error="not a locale such as en or pt-BR (16 characters at most)",
)
MAX_ATTRIBUTES = 100


def _json_object(max_keys: int = MAX_ATTRIBUTES):
    def check(value: dict) -> None:
        # surveys.core.values: finite, JSON-safe numbers, bounded depth, keys, strings and size.
        if found := values.messages(value, max_keys=max_keys):
            raise ValidationError(found)

    return check


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_nul(value) -> bool:
    """A NUL or a lone surrogate anywhere: neither can be stored (PostgreSQL, psycopg)."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Nested(Schema):
    """Base of schemas only ever loaded inside another one (which checks the whole input)."""

    class Meta:
        unknown = RAISE
        ordered = True


class Base(Nested):
    # True on an instance that only loads documents read by the web shell's strict JSON parser,
    # which has refused NUL and lone surrogates anywhere in them already (see parsed_strictly).
    parsed_strictly = False

    @pre_load
    def refuse_nul(self, data, **kwargs):
        # PostgreSQL cannot store NUL in text or JSONB: refuse it here as a 422, not a 500.
        if not self.parsed_strictly and _has_nul(data):
            raise ValidationError(
                "NUL characters (\\u0000) and lone surrogates (\\ud800) are not accepted.", "_schema"
            )
        return data


def parsed_strictly(schema: Base) -> Base:
    """``schema``, marked as loading only strictly parsed documents: the same fields and rules,
    without walking every value a second time for NUL and surrogates (the hot ingest path)."""
    schema.parsed_strictly = True
    return schema


# Times we accept: whatever their offset, once normalised to UTC they fall in [EARLIEST, LATEST).
# Outside it, date maths (expiry = occurred + 30 days) or the conversion itself would overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def in_range_utc(value: datetime) -> datetime:
    """``value`` (aware) in UTC, or ValueError when it falls outside [EARLIEST, LATEST)."""
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("out of range") from None
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError("out of range")
    return in_utc


def in_range_day(value: date) -> date:
    """``value`` or ValueError when its day falls outside [EARLIEST, LATEST)."""
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("out of range")
    return value


class Time(fields.AwareDateTime):
    """RFC 3339 in and out; naive input is taken as UTC, output is always UTC with a ``Z``.

    Loaded values are normalised to UTC here, so every writer (raw psycopg inserts included) gets
    UTC, and must lie between 1900-01-01 and 3000-01-01 UTC.
    """

    default_error_messages = {
        "range": "must be between 1900-01-01T00:00:00Z and 3000-01-01T00:00:00Z (in UTC)",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return in_range_utc(parsed)
        except ValueError:
            raise self.make_error("range") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return rfc3339(value)


class ListArgsSchema(Schema):
    class Meta:
        unknown = "exclude"  # other query keys are filters read by the view

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=60))
