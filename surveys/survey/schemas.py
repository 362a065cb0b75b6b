"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from surveys.core import values
from surveys.core.conditions import OPERATORS
from surveys.core.schemas import LOCALE, Base, Nested, Time
from surveys.survey.models import CHANNELS, SURVEY_KINDS, SURVEY_STATUSES


class TranslationSchema(Nested):
    question = fields.String(required=True, validate=validate.Length(1, 2000))
    comment_prompt = fields.String(load_default="", validate=validate.Length(max=2000))


class SurveyCreateSchema(Base):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(required=True, validate=validate.OneOf(SURVEY_KINDS))
    question = fields.String(required=True, validate=validate.Length(1, 2000))
    comment_prompt = fields.String(load_default="", validate=validate.Length(max=2000))
    # surveys.locale is a VARCHAR(16): a longer (well-formed) tag is a 422, not a database error.
    locale = fields.String(load_default="en", validate=[LOCALE, validate.Length(max=16)])
    translations = fields.Dict(
        keys=fields.String(validate=[LOCALE, validate.Length(max=16)]),
        values=fields.Nested(TranslationSchema),
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
        validate=validate.Regexp(
            r"^(contact|event)\.[A-Za-z0-9_.\-]+\Z", error="must start with contact. or event."
        ),
    )
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(load_default=True, allow_none=True)

    @validates_schema
    def check_value(self, data, **kwargs):
        if data.get("op") == "in" and not isinstance(data.get("value"), list):
            raise ValidationError("'in' needs a list value", "value")
        if found := values.messages({"value": data.get("value")}):  # finite numbers, bounded size
            raise ValidationError(found, "value")


class TouchpointCreateSchema(Base):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    event = fields.String(required=True, validate=validate.Length(1, 200))
    survey_id = fields.String(required=True, validate=validate.Length(1, 40))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    webhook_url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"}, require_tld=False)
    delay_seconds = fields.Integer(load_default=0, validate=validate.Range(0, 90 * 86400))
    sample_rate = fields.Float(load_default=1.0, validate=validate.Range(0, 1))
    recontact_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 3650))
    expires_after_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    reminder_after_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 60))
    conditions = fields.List(
        fields.Nested(ConditionSchema), load_default=list, validate=validate.Length(max=50)
    )
    cancel_on = fields.List(
        fields.String(validate=validate.Length(1, 200)), load_default=list, validate=validate.Length(max=50)
    )
    active = fields.Boolean(load_default=True)

    @validates_schema
    def check_channel(self, data, partial=None, **kwargs):
        if data.get("channel") == "webhook" and not data.get("webhook_url") and not partial:
            raise ValidationError("required for the webhook channel", "webhook_url")
        expires, remind = data.get("expires_after_days"), data.get("reminder_after_days")
        if expires is not None and remind is not None and remind >= expires:
            raise ValidationError("must be shorter than expires_after_days", "reminder_after_days")


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
