"""Schemas of the customer record: list arguments, health settings in and out, and the bodies
of contacts, accounts, health and its validation (documentation of what the services build)."""

from marshmallow import Schema, fields, validate

from surveys.core.schemas import Base
from surveys.customer.service import BANDS, SORTS

NAME = validate.Regexp(r"^[A-Za-z0-9_.-]{1,100}\Z", error="letters, digits, '.', '-' and '_' (100 at most)")


class _Page(Schema):
    class Meta:
        unknown = "exclude"  # attributes.NAME=value filters are read by the view

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=400))
    band = fields.String(load_default=None, validate=validate.OneOf(BANDS))


class ContactListArgsSchema(_Page):
    sort = fields.String(
        load_default="health",
        validate=validate.OneOf(SORTS),
        metadata={"description": "health (worst first), revenue, last_answer; a leading '-' reverses"},
    )
    segment_id = fields.String(load_default=None, validate=validate.Length(max=40))
    at_risk = fields.Boolean(load_default=None, metadata={"description": "band at_risk or in decline"})
    declining = fields.Boolean(load_default=None)
    account = fields.String(load_default=None, validate=validate.Length(1, 200))


class AccountListArgsSchema(_Page):
    sort = fields.String(load_default="health", validate=validate.OneOf(SORTS))


class AccountPageArgsSchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=400))


class HealthSettingsUpdateSchema(Base):
    weights = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 100)),
        values=fields.Raw(),
        metadata={"description": "factor name -> weight (0-1000); unnamed factors keep theirs"},
    )
    bands = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 20)),
        values=fields.Raw(),
        metadata={"description": "lower bounds: {'watch': 40, 'healthy': 70}; below watch is at_risk"},
    )
    account_attribute = fields.String(validate=NAME)
    decline_points = fields.Integer(validate=validate.Range(1, 100))
    decline_days = fields.Integer(validate=validate.Range(1, 365))
    churn_events = fields.List(
        fields.String(validate=validate.Length(1, 200)), validate=validate.Length(max=20)
    )
    min_churns = fields.Integer(validate=validate.Range(2, 100_000))


class FactorSchema(Schema):
    name = fields.String()
    label = fields.String()
    weight = fields.Float()
    default_weight = fields.Float()


class HealthSettingsSchema(Schema):
    factors = fields.List(fields.Nested(FactorSchema))
    bands = fields.Dict(keys=fields.String(), values=fields.Float())
    account_attribute = fields.String()
    decline_points = fields.Integer()
    decline_days = fields.Integer()
    churn_events = fields.List(fields.String())
    min_churns = fields.Integer()


class ContributionSchema(Schema):
    factor = fields.String()
    label = fields.String()
    value = fields.Float(metadata={"description": "0 (bad) to 100 (good)"})
    weight = fields.Float(metadata={"description": "share of the weights of the factors with data"})
    contribution = fields.Float(metadata={"description": "points above or below 50"})
    note = fields.String()
    text = fields.String(metadata={"description": "e.g. '-18: last NPS 3'"})


class HealthSchema(Schema):
    score = fields.Float(allow_none=True)
    band = fields.String(allow_none=True)
    factors = fields.List(fields.Nested(ContributionSchema))
    declining = fields.Boolean(allow_none=True)
    decline = fields.Float(allow_none=True)
    computed_at = fields.String(allow_none=True)


class CustomerSchema(Schema):
    id = fields.String()
    external_id = fields.String()
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    attributes = fields.Dict()
    account = fields.String(allow_none=True)
    revenue = fields.Float(allow_none=True)
    last_answer_at = fields.String(allow_none=True)
    latest_category = fields.String(allow_none=True)
    health = fields.Nested(HealthSchema, allow_none=True)


class TimelineEntrySchema(Schema):
    kind = fields.String(
        metadata={"description": "event, invitation, answer, or a section another domain adds"}
    )
    at = fields.String()
    data = fields.Dict()


class CustomerDetailSchema(CustomerSchema):
    unsubscribed_at = fields.String(allow_none=True)
    created_at = fields.String()
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class AccountSchema(Schema):
    key = fields.String()
    contacts = fields.Integer()
    at_risk_contacts = fields.Integer()
    revenue = fields.Float(allow_none=True)
    last_answer_at = fields.String(allow_none=True)
    health = fields.Nested(HealthSchema)


class AccountMembersSchema(Schema):
    items = fields.List(fields.Nested(CustomerSchema))
    next_cursor = fields.String(allow_none=True)


class AccountDetailSchema(AccountSchema):
    members = fields.Nested(AccountMembersSchema)
