"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from datetime import UTC

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
)

from surveys.core.db import rfc3339

LOCALE = validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="not a locale such as en or pt-BR")
MAX_ATTRIBUTES = 100


def _json_object(max_keys: int = MAX_ATTRIBUTES):
    def check(value: dict) -> None:
        if len(value) > max_keys:
            raise ValidationError(f"at most {max_keys} keys")

    return check


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
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
    @pre_load
    def refuse_nul(self, data, **kwargs):
        # PostgreSQL cannot store NUL in text or JSONB: refuse it here as a 422, not a 500.
        if _has_nul(data):
            raise ValidationError("NUL characters (\\u0000) are not accepted.", "_schema")
        return data


class Time(fields.AwareDateTime):
    """RFC 3339 in and out; naive input is taken as UTC, output is always UTC with a ``Z``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return rfc3339(value)


class ListArgsSchema(Schema):
    class Meta:
        unknown = "exclude"  # other query keys are filters read by the view

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=60))
