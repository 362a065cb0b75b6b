"""Schemas of webhook endpoints, deliveries, and of every event payload (published as OpenAPI
components so receivers can generate types from them)."""

from marshmallow import Schema, fields, validate

from surveys.core.schemas import Base, Time
from surveys.webhook.catalogue import EVENT_TYPES
from surveys.webhook.models import DELIVERY_STATUSES, FORMATS

MAX_URL = 2000


def _events(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(tuple(EVENT_TYPES))),
        validate=validate.Length(1, len(EVENT_TYPES)),
        metadata={"description": "Event types to receive: " + ", ".join(EVENT_TYPES)},
        **kwargs,
    )


class EndpointCreateSchema(Base):
    url = fields.String(required=True, validate=validate.Length(1, MAX_URL))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    events = _events(required=True)
    format = fields.String(load_default="standard", validate=validate.OneOf(FORMATS))
    enabled = fields.Boolean(load_default=True)


class EndpointUpdateSchema(Base):
    url = fields.String(validate=validate.Length(1, MAX_URL))
    description = fields.String(validate=validate.Length(max=500))
    events = _events()
    format = fields.String(validate=validate.OneOf(FORMATS))
    enabled = fields.Boolean()


class EndpointSchema(Schema):
    id = fields.String()
    url = fields.String()
    description = fields.String()
    events = fields.List(fields.String())
    format = fields.String()
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    disabled_at = Time(allow_none=True)
    failing_since = Time(allow_none=True)
    previous_secret_valid_until = Time(allow_none=True, attribute="secret_previous_expires_at")
    created_at = Time()
    updated_at = Time()


class EndpointCreatedSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "The whsec_ signing secret: shown only now."})


class RotateSecretSchema(Base):
    overlap_hours = fields.Integer(load_default=24, validate=validate.Range(0, 720))


class RotatedSecretSchema(Schema):
    secret = fields.String()
    previous_secret_valid_until = Time(allow_none=True)


class DeliveryListArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=60))
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))
    event_type = fields.String(load_default=None, validate=validate.OneOf((*EVENT_TYPES, "ping")))


class AttemptSchema(Schema):
    number = fields.Integer()
    started_at = Time()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True, metadata={"description": "At most 1 KiB of the reply."})


class DeliverySchema(Schema):
    id = fields.String()
    endpoint_id = fields.String()
    message_id = fields.String(metadata={"description": "The webhook-id header; stable across retries."})
    event_type = fields.String()
    status = fields.String(metadata={"description": "pending, succeeded or failed"})
    attempts = fields.Integer()
    next_attempt_at = Time(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = Time(allow_none=True)
    created_at = Time()
    attempt_log = fields.List(fields.Nested(AttemptSchema), data_key="attempt_log")
    payload = fields.Dict(attribute="message.payload", metadata={"description": "The envelope as sent."})


# ---- event payloads (documentation: the envelope's "data" of each type) -----------------------


class ContactRef(Schema):
    id = fields.String(allow_none=True)
    external_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class ResponseData(Schema):
    id = fields.String()
    survey_id = fields.String()
    survey_kind = fields.String(metadata={"description": "nps, csat or ces"})
    score = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    completed = fields.Boolean()
    source = fields.String()
    submitted_at = Time()
    touchpoint_id = fields.String(allow_none=True)
    invitation_id = fields.String(allow_none=True)
    contact = fields.Nested(ContactRef, allow_none=True)
    attributes = fields.Dict(metadata={"description": "The contact's attributes when answering."})


class ThemeHit(Schema):
    name = fields.String()
    sentiment = fields.Dict()
    evidence = fields.List(fields.Dict(), metadata={"description": "Quoted words that matched."})
    intent = fields.String(
        allow_none=True,
        metadata={
            "description": "What this mention wants: praise, complaint, request, question or other; "
            "null for a theme added by a tag correction or analysed before intents existed."
        },
    )


class AnalysisData(Schema):
    sentiment = fields.Dict(allow_none=True)
    intent = fields.String(
        allow_none=True,
        metadata={
            "description": "What the comment wants: praise, complaint, request (asks for something), "
            "question or other; null without a comment."
        },
    )
    themes = fields.List(fields.Nested(ThemeHit))


class ResponseEventData(Schema):
    response = fields.Nested(ResponseData)


class ResponseAnalyzedData(ResponseEventData):
    analysis = fields.Nested(AnalysisData)


class InvitationData(Schema):
    id = fields.String()
    survey_id = fields.String()
    touchpoint_id = fields.String(allow_none=True)
    channel = fields.String()
    status = fields.String()
    sent_at = Time(allow_none=True)
    error = fields.String(allow_none=True)
    contact = fields.Nested(ContactRef)


class InvitationEventData(Schema):
    invitation = fields.Nested(InvitationData)


class RoadmapItemData(Schema):
    id = fields.String()
    title = fields.String()
    status = fields.String()
    external_ref = fields.String(allow_none=True)


class RoadmapStatusData(Schema):
    roadmap_item = fields.Nested(RoadmapItemData)
    previous_status = fields.String()


class ContactErasedData(Schema):
    contact_id = fields.String(metadata={"description": "The erased contact's id (nothing else of them)."})
    erased_at = Time()


class AlertData(Schema):
    id = fields.String()
    rule_id = fields.String()
    rule_name = fields.String()
    kind = fields.String(metadata={"description": "detractor, score_drop, theme_spike or no_response"})
    title = fields.String(metadata={"description": "One line saying what happened, with the figures."})
    fired_at = Time()
    window = fields.Dict(metadata={"description": "{from, to}: the period the alert is about."})
    figures = fields.Dict(metadata={"description": "The rule kind's figures (counts, the test, its result)."})
    p_value = fields.Float(allow_none=True)
    difference = fields.Float(allow_none=True)
    ci95 = fields.List(
        fields.Float(), allow_none=True, metadata={"description": "95% interval of the difference."}
    )
    examples = fields.List(
        fields.Dict(), metadata={"description": "Up to three {response_id, score, comment}."}
    )
    evidence_url = fields.String(metadata={"description": "The answers behind the alert in the web app."})


class AlertEventData(Schema):
    alert = fields.Nested(AlertData)


class CaseOwnerData(Schema):
    id = fields.String()
    email = fields.String(allow_none=True)


class CaseData(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "open, contacted, resolved or closed_no_action"})
    rule_id = fields.String(allow_none=True)
    response_id = fields.String()
    contact_id = fields.String(allow_none=True)
    survey_id = fields.String()
    owner = fields.Nested(CaseOwnerData, allow_none=True)
    due_at = Time()
    first_contacted_at = Time(allow_none=True)
    closed_at = Time(allow_none=True)
    resolution = fields.String(allow_none=True)


class CaseEventData(Schema):
    case = fields.Nested(CaseData)


class CaseOpenedData(CaseEventData):
    response = fields.Nested(ResponseData)


class CaseStatusData(CaseEventData):
    previous_status = fields.String()


class HealthFactorData(Schema):
    factor = fields.String()
    label = fields.String()
    value = fields.Float(metadata={"description": "0 (bad) to 100 (good)"})
    weight = fields.Float(metadata={"description": "its share of the weights of the factors with data"})
    contribution = fields.Float(metadata={"description": "points above or below 50 it adds to the score"})
    note = fields.String()


class HealthChangedData(Schema):
    contact = fields.Nested(ContactRef)
    health = fields.Float(metadata={"description": "0-100"})
    band = fields.String(metadata={"description": "at_risk, watch or healthy"})
    previous_band = fields.String()
    previous_health = fields.Float(allow_none=True)
    account = fields.String(allow_none=True)
    factors = fields.List(fields.Nested(HealthFactorData))


class PingData(Schema):
    message = fields.String()
    endpoint_id = fields.String()


# event type -> the schema of its "data"
PAYLOADS: dict[str, type[Schema]] = {
    "response.created": ResponseEventData,
    "response.completed": ResponseEventData,
    "response.detractor": ResponseEventData,
    "response.analyzed": ResponseAnalyzedData,
    "invitation.sent": InvitationEventData,
    "invitation.failed": InvitationEventData,
    "roadmap_item.status_changed": RoadmapStatusData,
    "contact.erased": ContactErasedData,
    "alert.triggered": AlertEventData,
    "case.opened": CaseOpenedData,
    "case.status_changed": CaseStatusData,
    "case.overdue": CaseEventData,
    "contact.health_changed": HealthChangedData,
    "ping": PingData,
}
assert set(PAYLOADS) == {*EVENT_TYPES, "ping"}


def envelope_schema(event_type: str) -> type[Schema]:
    """The whole message of ``event_type`` as a schema class (for the OpenAPI document)."""
    return Schema.from_dict(
        {
            "id": fields.String(metadata={"description": "Equal to the webhook-id header."}),
            "type": fields.String(metadata={"enum": [event_type]}),
            "version": fields.Integer(),
            "timestamp": Time(),
            "workspace_id": fields.String(),
            "data": fields.Nested(PAYLOADS[event_type]),
        },
        name=f"WebhookEvent_{event_type.replace('.', '_')}",
    )
