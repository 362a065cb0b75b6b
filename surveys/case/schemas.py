"""Input and output shapes of case rules, cases, notes and the loop figures."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from surveys.case.models import ASSIGN_MODES, STATUSES
from surveys.core.schemas import Base, Time

_ID = validate.Length(1, 40)
SLA = validate.Range(1, 24 * 365)


class CaseRuleCreateSchema(Base):
    name = fields.String(load_default="Detractor-level answers", validate=validate.Length(1, 200))
    enabled = fields.Boolean(load_default=True)
    survey_id = fields.String(load_default=None, allow_none=True, validate=_ID)
    segment_id = fields.String(load_default=None, allow_none=True, validate=_ID)
    theme_id = fields.String(load_default=None, allow_none=True, validate=_ID)
    negative_sentiment = fields.Boolean(
        load_default=False,
        metadata={"description": "Only answers read as negative (of the theme, if one is set)."},
    )
    assign = fields.String(
        load_default="none",
        validate=validate.OneOf(ASSIGN_MODES),
        metadata={
            "description": "none; round_robin over assignee_ids; attribute: the user whose email is in "
            "the contact attribute owner_attribute, else round-robin, else unassigned"
        },
    )
    assignee_ids = fields.List(
        fields.String(validate=_ID), load_default=list, validate=validate.Length(max=100)
    )
    owner_attribute = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 100),
        metadata={"description": "e.g. account_owner_email"},
    )
    sla_hours = fields.Integer(load_default=48, validate=SLA, strict=True)


class CaseRuleUpdateSchema(Base):
    name = fields.String(validate=validate.Length(1, 200))
    enabled = fields.Boolean()
    survey_id = fields.String(allow_none=True, validate=_ID)
    segment_id = fields.String(allow_none=True, validate=_ID)
    theme_id = fields.String(allow_none=True, validate=_ID)
    negative_sentiment = fields.Boolean()
    assign = fields.String(validate=validate.OneOf(ASSIGN_MODES))
    assignee_ids = fields.List(fields.String(validate=_ID), validate=validate.Length(max=100))
    owner_attribute = fields.String(allow_none=True, validate=validate.Length(1, 100))
    sla_hours = fields.Integer(validate=SLA, strict=True)


class CaseRuleSchema(Schema):
    id = fields.String()
    name = fields.String()
    enabled = fields.Boolean()
    survey_id = fields.String(allow_none=True)
    segment_id = fields.String(allow_none=True)
    theme_id = fields.String(allow_none=True)
    negative_sentiment = fields.Boolean()
    assign = fields.String()
    assignee_ids = fields.List(fields.String())
    owner_attribute = fields.String(allow_none=True)
    sla_hours = fields.Integer()
    created_at = Time()
    updated_at = Time()


class CaseUpdateSchema(Base):
    status = fields.String(validate=validate.OneOf(STATUSES))
    owner_id = fields.String(allow_none=True, validate=_ID, metadata={"description": "null unassigns"})
    resolution = fields.String(validate=validate.Length(1, 500))
    due_at = Time()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one of status, owner_id, resolution, due_at.", "_schema")


class NoteCreateSchema(Base):
    body = fields.String(required=True, validate=validate.Length(1, 5000))


class NoteSchema(Schema):
    id = fields.String()
    author = fields.String()
    author_id = fields.String(allow_none=True)
    body = fields.String()
    created_at = Time()


class CaseListArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=60))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    owner_id = fields.String(load_default=None, validate=_ID)
    unassigned = fields.Boolean(load_default=False)
    overdue = fields.Boolean(load_default=None, allow_none=True)
    contact_id = fields.String(load_default=None, validate=_ID)
    survey_id = fields.String(load_default=None, validate=_ID)
    segment_id = fields.String(load_default=None, validate=_ID)
    theme_id = fields.String(load_default=None, validate=_ID)


class OwnerSchema(Schema):
    id = fields.String()
    email = fields.String()


class CaseEvidenceSchema(Schema):
    name = fields.String()
    sentiment = fields.Dict()
    evidence = fields.List(fields.Dict(), metadata={"description": "Quoted words: text, start, end."})


class CaseAnswerSchema(Schema):
    id = fields.String()
    survey_id = fields.String()
    kind = fields.String()
    score = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    submitted_at = Time()
    attributes = fields.Dict()
    sentiment = fields.Dict(allow_none=True)
    themes = fields.List(fields.Nested(CaseEvidenceSchema))


class CaseContactSchema(Schema):
    id = fields.String()
    external_id = fields.String()
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class CaseSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    rule_id = fields.String(allow_none=True)
    survey_id = fields.String()
    response_id = fields.String()
    contact_id = fields.String(allow_none=True)
    owner = fields.Nested(OwnerSchema, allow_none=True)
    owner_id = fields.String(allow_none=True)
    due_at = Time()
    overdue = fields.Boolean()
    first_contacted_at = Time(allow_none=True)
    closed_at = Time(allow_none=True)
    resolution = fields.String(allow_none=True)
    created_at = Time()
    updated_at = Time()
    contact = fields.Nested(CaseContactSchema, allow_none=True)
    answer = fields.Nested(CaseAnswerSchema)
    notes = fields.List(fields.Nested(NoteSchema))


class StatsArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    start = Time(load_default=None)
    end = Time(load_default=None)

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("start must be before end", "end")


class FigureSchema(Schema):
    value = fields.Float(allow_none=True)
    n = fields.Integer(metadata={"description": "How many cases or answers the figure is over."})


class RescueGroupSchema(Schema):
    detractors = fields.Integer(metadata={"description": "Detractor-level answers in the period."})
    answered_again = fields.Integer(metadata={"description": "Of those, how many answered the survey again."})
    rescued = fields.Integer(metadata={"description": "Whose next answer scored higher."})
    rate = fields.Float(allow_none=True)


class RescueSchema(Schema):
    with_case = fields.Nested(RescueGroupSchema)
    without_case = fields.Nested(RescueGroupSchema)
    difference = fields.Float(allow_none=True)
    ci95 = fields.List(fields.Float(), allow_none=True)
    p_value = fields.Float(allow_none=True)
    test = fields.String()
    enough = fields.Boolean()
    reason = fields.String(allow_none=True)


class CaseStatsSchema(Schema):
    start = Time(allow_none=True)
    end = Time(allow_none=True)
    opened = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()
    close_rate = fields.Nested(FigureSchema)
    median_hours_to_first_contact = fields.Nested(FigureSchema)
    inside_sla = fields.Nested(FigureSchema)
    rescue = fields.Nested(RescueSchema)
