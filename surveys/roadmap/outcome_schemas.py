"""Schemas of a shipped item's outcome and its re-survey (``/roadmap-items/{id}/outcome`` and
``/roadmap-items/{id}/resurvey``)."""

from marshmallow import Schema, fields, validate

from surveys.core.schemas import Base, Time
from surveys.roadmap.outcome import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS


class OutcomeArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    window_days = fields.Integer(
        load_default=DEFAULT_WINDOW_DAYS,
        validate=validate.Range(1, MAX_WINDOW_DAYS),
        metadata={"description": "days before and after shipping that are compared"},
    )


class ChangeSchema(Schema):
    before = fields.Float(allow_none=True, metadata={"description": "figure in the window before shipping"})
    after = fields.Float(allow_none=True, metadata={"description": "figure in the window after shipping"})
    difference = fields.Float(allow_none=True, metadata={"description": "after minus before"})
    ci95 = fields.List(
        fields.Float(), allow_none=True, metadata={"description": "95% interval of the difference"}
    )
    p_value = fields.Float(allow_none=True)
    n_before = fields.Integer()
    n_after = fields.Integer()
    test = fields.String()
    enough = fields.Boolean(metadata={"description": "both windows hold the minimum sample"})
    significant = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "why nothing can be concluded"})
    verdict = fields.String(
        metadata={
            "description": "improved / worsened (significant), no significant change, or too few answers"
        }
    )


class ScoreOutcomeSchema(Schema):
    survey_id = fields.String()
    survey_name = fields.String()
    kind = fields.String()
    linked = fields.Nested(ChangeSchema, metadata={"description": "customers linked to the item"})
    comparison = fields.Nested(ChangeSchema, metadata={"description": "customers not linked"})


class ThemeOutcomeSchema(Schema):
    theme_id = fields.String()
    name = fields.String()
    measure = fields.String()
    linked = fields.Nested(ChangeSchema)
    comparison = fields.Nested(ChangeSchema)


class _Window(Schema):
    start = Time(data_key="from")
    end = Time(data_key="to")


class _OutcomeItem(Schema):
    id = fields.String()
    title = fields.String()
    status = fields.String()
    shipped_at = Time()


class _Customers(Schema):
    linked = fields.Integer()
    comparison = fields.Integer()


class OutcomeSchema(Schema):
    item = fields.Nested(_OutcomeItem)
    window_days = fields.Integer()
    alpha = fields.Float()
    before = fields.Nested(_Window)
    after = fields.Nested(_Window)
    customers = fields.Nested(_Customers, metadata={"description": "customers with answers in the windows"})
    scores = fields.List(fields.Nested(ScoreOutcomeSchema))
    themes = fields.List(fields.Nested(ThemeOutcomeSchema))


class ResurveyCreateSchema(Base):
    touchpoint_id = fields.String(required=True, validate=validate.Length(1, 40))


class ResurveySchema(Schema):
    customers = fields.Integer(metadata={"description": "customers linked to the item before it shipped"})
    scheduled = fields.Integer(metadata={"description": "invitations scheduled by this call"})
    suppressed = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "suppressed by reason"}
    )
    already_asked = fields.Integer(metadata={"description": "customers a previous call already handled"})
