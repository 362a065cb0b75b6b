"""Answers that span domains: a response with its analysis and the roadmap items it asks for.

Each domain serialises its own part (:func:`surveys.response.service.serialize_response`,
:func:`surveys.analysis.service.serialize_analysis`, :func:`surveys.roadmap.service.response_items`);
the shell, which may see every domain, puts them together once here. :class:`ResponseBodySchema`
documents that body in the OpenAPI document (it is not used to dump it).
"""

from marshmallow import Schema, fields

from surveys.analysis.service import serialize_analysis
from surveys.response.models import Response
from surveys.response.service import serialize_response
from surveys.roadmap.service import response_items


def response_body(response: Response) -> dict:
    """DESIGN.md's response: the answer, then ``analysis`` (status, sentiment, themes, roadmap items)."""
    body = serialize_response(response)
    body["analysis"] = {**serialize_analysis(response), "roadmap_items": response_items(response)}
    return body


class SentimentSchema(Schema):
    label = fields.String(metadata={"description": "positive, neutral or negative"})
    compound = fields.Float()


class RoadmapItemRefSchema(Schema):
    id = fields.String()
    title = fields.String()


class CueSchema(Schema):
    kind = fields.String(
        metadata={
            "description": "failure, wait, money, not_received, unmet_expectation, fix_request, "
            "repeat_contact, negated_action, too, ...: why the sentiment leans as it does"
        }
    )
    text = fields.String(metadata={"description": "the quoted words"})
    start = fields.Integer()
    end = fields.Integer()


class ResponseAnalysisSchema(Schema):
    status = fields.String(metadata={"description": "pending, done or failed"})
    sentiment = fields.Nested(SentimentSchema, allow_none=True)
    intent = fields.String(
        allow_none=True,
        metadata={"description": "praise, complaint, request, question or other; null without a comment"},
    )
    language = fields.String(
        allow_none=True,
        metadata={
            "description": "ISO 639-1 code of the comment's language ('und' without letters); "
            "a comment not in English gets no sentiment (neutral)"
        },
    )
    cues = fields.List(
        fields.Nested(CueSchema),
        metadata={"description": "the words behind a sentiment no sentiment word states"},
    )
    themes = fields.List(
        fields.Dict(),
        metadata={"description": "each theme found: name, sentiment, quoted evidence, intent and cues"},
    )
    roadmap_items = fields.List(fields.Nested(RoadmapItemRefSchema))


class ExternalIdSchema(Schema):
    external_id = fields.String()


class EventSnapshotSchema(Schema):
    name = fields.String()
    external_id = fields.String()
    occurred_at = fields.String()
    properties = fields.Dict()


class ResponseBodySchema(Schema):
    """The body :func:`response_body` builds."""

    id = fields.String()
    survey_id = fields.String()
    score = fields.Integer()
    category = fields.String(metadata={"description": "promoter, passive, detractor, ... by survey kind"})
    comment = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    source = fields.String()
    completed = fields.Boolean()
    contact = fields.Nested(ExternalIdSchema, allow_none=True)
    attributes = fields.Dict(metadata={"description": "the contact's attributes at response time"})
    metadata = fields.Dict()
    invitation_id = fields.String(allow_none=True)
    touchpoint_id = fields.String(allow_none=True)
    event = fields.Nested(
        EventSnapshotSchema,
        allow_none=True,
        metadata={"description": "the journey event that triggered the answer, as stored with it"},
    )
    analysis = fields.Nested(ResponseAnalysisSchema)


class LinkEvidenceSchema(Schema):
    keyword = fields.String(metadata={"description": "the item's keyword these words matched (or absent)"})
    theme = fields.String(metadata={"description": "the item's theme these words were found for (or absent)"})
    text = fields.String(metadata={"description": "the quoted words"})
    start = fields.Integer()
    end = fields.Integer()


class LinkInfoSchema(Schema):
    source = fields.String(metadata={"description": "auto or manual"})
    evidence = fields.List(fields.Nested(LinkEvidenceSchema))


class LinkedFeedbackSchema(ResponseBodySchema):
    """A response linked to a roadmap item, with how and why it was linked."""

    link = fields.Nested(LinkInfoSchema, allow_none=True)
