"""Schemas of segments and of the metrics and theme-insight queries."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from surveys.core.conditions import OPERATORS
from surveys.core.schemas import Base, Nested, Time

MAX_CONDITIONS = 20
MAX_IN_VALUES = 200
FIELD = re.compile(r"^attributes\.[A-Za-z0-9_\-]{1,100}\Z")


def _scalar(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class SegmentConditionSchema(Nested):
    field = fields.String(
        required=True,
        validate=validate.Regexp(FIELD, error="must be attributes.NAME (letters, digits, _ or -)"),
    )
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(load_default=True, allow_none=True)

    @validates_schema
    def check_value(self, data, **kwargs):
        op, value = data.get("op"), data.get("value")
        if op == "in":
            if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN_VALUES:
                raise ValidationError(f"'in' needs a list of 1 to {MAX_IN_VALUES} values", "value")
            if not all(_scalar(v) for v in value):
                raise ValidationError("'in' values must be strings, numbers, booleans or null", "value")
        elif op == "exists":
            if not isinstance(value, bool):
                raise ValidationError("'exists' takes true or false", "value")
        elif op in ("gt", "gte", "lt", "lte"):
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValidationError(f"'{op}' compares with a number or a string", "value")
        elif not _scalar(value):
            raise ValidationError(f"'{op}' compares with a string, number, boolean or null", "value")


class SegmentCreateSchema(Base):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    conditions = fields.List(
        fields.Nested(SegmentConditionSchema), required=True, validate=validate.Length(max=MAX_CONDITIONS)
    )


class SegmentUpdateSchema(SegmentCreateSchema):
    name = fields.String(validate=validate.Length(1, 100))
    description = fields.String(validate=validate.Length(max=2000))
    conditions = fields.List(
        fields.Nested(SegmentConditionSchema), validate=validate.Length(max=MAX_CONDITIONS)
    )


class SegmentSchema(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    conditions = fields.List(fields.Dict())
    created_at = Time()
    updated_at = Time()
