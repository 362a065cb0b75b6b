"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from marshmallow import (
    Schema,
    fields,
    validate,
)

from surveys.core.schemas import Base, Time


class WorkspaceSchema(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    recontact_days = fields.Integer()
    revenue_attribute = fields.String()
    allowed_origins = fields.List(fields.String())
    branding = fields.Dict()
    retention_days = fields.Integer(allow_none=True)
    retention_action = fields.String()


class WorkspaceUpdateSchema(Base):
    name = fields.String(validate=validate.Length(1, 200))
    recontact_days = fields.Integer(validate=validate.Range(0, 3650))
    revenue_attribute = fields.String(validate=validate.Length(1, 100))
    allowed_origins = fields.List(
        fields.String(
            validate=validate.Regexp(r"^https?://[^/\s]+\Z", error="an origin such as https://shop.example")
        ),
        validate=validate.Length(max=50),
    )
    branding = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("color", "logo_url", "name"))),
        values=fields.String(validate=validate.Length(max=500)),
    )
    retention_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, 36500),
        metadata={"description": "Days after which answers lose their personal data; null: kept."},
    )
    retention_action = fields.String(
        validate=validate.OneOf(("anonymise", "delete")),
        metadata={"description": "anonymise (scores kept in every figure) or delete (figures adjusted)."},
    )


class SecretRotateSchema(Base):
    overlap_hours = fields.Integer(
        load_default=24,
        strict=True,
        validate=validate.Range(0, 720),
        metadata={"description": "hours the previous secret keeps working (0: none); default 24"},
    )


class SecretRotationSchema(Schema):
    """A new secret, shown this once (it is never readable through the API again)."""

    kind = fields.String(metadata={"description": "inbound, outbound or widget"})
    secret = fields.String()
    previous_expires_at = Time(allow_none=True, metadata={"description": "null: the old one works no more"})
