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
    validates_schema,
)

from surveys.base import rfc3339
from surveys.models import CHANNELS, SURVEY_KINDS, SURVEY_STATUSES
from surveys.rules import OPERATORS

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


class TranslationSchema(Nested):
    question = fields.String(required=True, validate=validate.Length(1, 2000))
    comment_prompt = fields.String(load_default="", validate=validate.Length(max=2000))


class SurveyCreateSchema(Base):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(required=True, validate=validate.OneOf(SURVEY_KINDS))
    question = fields.String(required=True, validate=validate.Length(1, 2000))
    comment_prompt = fields.String(load_default="", validate=validate.Length(max=2000))
    locale = fields.String(load_default="en", validate=LOCALE)
    translations = fields.Dict(
        keys=fields.String(validate=LOCALE), values=fields.Nested(TranslationSchema),
        load_default=dict,
    )
    status = fields.String(load_default="active", validate=validate.OneOf(SURVEY_STATUSES))


class SurveyUpdateSchema(SurveyCreateSchema):
    class Meta(Base.Meta):
        pass

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class SurveySchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    question = fields.String()
    comment_prompt = fields.String()
    locale = fields.String()
    translations = fields.Dict()
    status = fields.String()
    created_at = Time()
    updated_at = Time()


class ConditionSchema(Nested):
    field = fields.String(
        required=True,
        validate=validate.Regexp(r"^(contact|event)\.[A-Za-z0-9_.\-]+$",
                                 error="must start with contact. or event."),
    )
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(load_default=True, allow_none=True)

    @validates_schema
    def check_value(self, data, **kwargs):
        if data["op"] == "in" and not isinstance(data.get("value"), list):
            raise ValidationError("'in' needs a list value", "value")


class TouchpointCreateSchema(Base):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    event = fields.String(required=True, validate=validate.Length(1, 200))
    survey_id = fields.String(required=True, validate=validate.Length(1, 40))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    webhook_url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"},
                             require_tld=False)
    delay_seconds = fields.Integer(load_default=0, validate=validate.Range(0, 90 * 86400))
    sample_rate = fields.Float(load_default=1.0, validate=validate.Range(0, 1))
    recontact_days = fields.Integer(load_default=None, allow_none=True,
                                    validate=validate.Range(0, 3650))
    expires_after_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    reminder_after_days = fields.Integer(load_default=None, allow_none=True,
                                         validate=validate.Range(1, 60))
    conditions = fields.List(fields.Nested(ConditionSchema), load_default=list,
                             validate=validate.Length(max=50))
    cancel_on = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=list,
                            validate=validate.Length(max=50))
    active = fields.Boolean(load_default=True)

    @validates_schema
    def check_channel(self, data, partial=None, **kwargs):
        if data.get("channel") == "webhook" and not data.get("webhook_url") and not partial:
            raise ValidationError("required for the webhook channel", "webhook_url")
        expires, remind = data.get("expires_after_days"), data.get("reminder_after_days")
        if expires is not None and remind is not None and remind >= expires:
            raise ValidationError("must be shorter than expires_after_days",
                                  "reminder_after_days")


class TouchpointUpdateSchema(TouchpointCreateSchema):
    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class TouchpointSchema(Schema):
    id = fields.String()
    name = fields.String()
    event = fields.String()
    survey_id = fields.String()
    channel = fields.String()
    webhook_url = fields.String(allow_none=True)
    delay_seconds = fields.Integer()
    sample_rate = fields.Float()
    recontact_days = fields.Integer(allow_none=True)
    expires_after_days = fields.Integer()
    reminder_after_days = fields.Integer(allow_none=True)
    conditions = fields.List(fields.Dict())
    cancel_on = fields.List(fields.String())
    active = fields.Boolean()
    created_at = Time()


class ContactInSchema(Nested):
    external_id = fields.String(load_default=None, validate=validate.Length(1, 200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    locale = fields.String(load_default=None, allow_none=True, validate=LOCALE)
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(1, 100)),
                             load_default=dict, validate=_json_object())

    @pre_load
    def coerce_external_id(self, data, **kwargs):
        # Many senders use numeric customer ids; keep them as strings.
        if isinstance(data, dict) and isinstance(data.get("external_id"), int) \
                and not isinstance(data.get("external_id"), bool):
            data = {**data, "external_id": str(data["external_id"])}
        return data

    @validates_schema
    def check_identity(self, data, **kwargs):
        if not data.get("external_id") and not data.get("email"):
            raise ValidationError("external_id or email is required", "external_id")


class EventCreateSchema(Base):
    id = fields.String(required=True, validate=validate.Length(1, 200))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    occurred_at = Time(load_default=None)
    contact = fields.Nested(ContactInSchema, required=True)
    properties = fields.Dict(keys=fields.String(), load_default=dict, validate=_json_object(200))


class EventBatchSchema(Nested):  # each item is loaded (and checked) on its own
    events = fields.List(fields.Raw(), required=True, validate=validate.Length(1, 1000))


class InvitationSchema(Schema):
    id = fields.String()
    survey_id = fields.String()
    touchpoint_id = fields.String(allow_none=True)
    event_id = fields.String(allow_none=True)
    channel = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    scheduled_for = Time()
    expires_at = Time()
    sent_at = Time(allow_none=True)
    reminded_at = Time(allow_none=True)
    responded_at = Time(allow_none=True)
    url = fields.String()
    contact = fields.Function(lambda inv: {"external_id": inv.contact.external_id})


class ResponseCreateSchema(Base):
    id = fields.String(load_default=None, validate=validate.Length(1, 200))
    survey_id = fields.String(required=True, validate=validate.Length(1, 40))
    contact = fields.Nested(ContactInSchema, load_default=None, allow_none=True)
    score = fields.Integer(required=True, strict=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    submitted_at = Time(load_default=None)
    source = fields.String(load_default="api", validate=validate.Length(1, 16))
    metadata = fields.Dict(keys=fields.String(), load_default=dict, validate=_json_object())


class ResponseBatchSchema(Nested):  # each item is loaded (and checked) on its own
    responses = fields.List(fields.Raw(), required=True, validate=validate.Length(1, 1000))


class WorkspaceSchema(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    recontact_days = fields.Integer()
    revenue_attribute = fields.String()
    allowed_origins = fields.List(fields.String())
    branding = fields.Dict()


class WorkspaceUpdateSchema(Base):
    name = fields.String(validate=validate.Length(1, 200))
    recontact_days = fields.Integer(validate=validate.Range(0, 3650))
    revenue_attribute = fields.String(validate=validate.Length(1, 100))
    allowed_origins = fields.List(
        fields.String(validate=validate.Regexp(r"^https?://[^/\s]+$",
                                               error="an origin such as https://shop.example")),
        validate=validate.Length(max=50),
    )
    branding = fields.Dict(keys=fields.String(validate=validate.OneOf(("color", "logo_url", "name"))),
                           values=fields.String(validate=validate.Length(max=500)))
