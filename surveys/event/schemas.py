"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from marshmallow import (
    fields,
    validate,
)

from surveys.contact.schemas import ContactInSchema
from surveys.core.schemas import Base, Nested, Time, _json_object

MAX_PROPERTIES = 200


class EventCreateSchema(Base):
    id = fields.String(required=True, validate=validate.Length(1, 200))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    occurred_at = Time(load_default=None)
    contact = fields.Nested(ContactInSchema, required=True)
    properties = fields.Dict(load_default=dict, validate=_json_object(MAX_PROPERTIES))


class EventBatchSchema(Nested):  # each item is loaded (and checked) on its own
    events = fields.List(fields.Raw(), required=True, validate=validate.Length(1, 1000))
