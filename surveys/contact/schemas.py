"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from marshmallow import (
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from surveys.core.schemas import LOCALE, Nested, _json_object


class ContactInSchema(Nested):
    external_id = fields.String(load_default=None, validate=validate.Length(1, 200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    locale = fields.String(load_default=None, allow_none=True, validate=LOCALE)
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 100)), load_default=dict, validate=_json_object()
    )

    @pre_load
    def coerce_external_id(self, data, **kwargs):
        # Many senders use numeric customer ids; keep them as strings.
        if (
            isinstance(data, dict)
            and isinstance(data.get("external_id"), int)
            and not isinstance(data.get("external_id"), bool)
        ):
            data = {**data, "external_id": str(data["external_id"])}
        return data

    @validates_schema
    def check_identity(self, data, **kwargs):
        if not data.get("external_id") and not data.get("email"):
            raise ValidationError("external_id or email is required", "external_id")
