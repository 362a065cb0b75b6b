"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from marshmallow import (
    fields,
    validate,
)

from nlp.results import INTENTS, LABELS
from surveys.contact.schemas import ContactInSchema
from surveys.core.schemas import Base, ListArgsSchema, Nested, Time, _json_object


class ResponseCreateSchema(Base):
    id = fields.String(load_default=None, validate=validate.Length(1, 200))
    survey_id = fields.String(required=True, validate=validate.Length(1, 40))
    contact = fields.Nested(ContactInSchema, load_default=None, allow_none=True)
    score = fields.Integer(required=True, strict=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    submitted_at = Time(load_default=None)
    source = fields.String(load_default="api", validate=validate.Length(1, 16))
    metadata = fields.Dict(load_default=dict, validate=_json_object())


class ResponseBatchSchema(Nested):  # each item is loaded (and checked) on its own
    responses = fields.List(fields.Raw(), required=True, validate=validate.Length(1, 1000))


class ResponseListArgsSchema(ListArgsSchema):
    """``GET /responses``: the page plus its filters. The filters are documented here and read,
    and checked, by the view itself (no validator here, so its answers stay its own)."""

    survey_id = fields.String()
    start = fields.String(data_key="from", metadata={"format": "date-time"})
    end = fields.String(data_key="to", metadata={"format": "date-time"})
    attribute = fields.String(
        data_key="attributes.plan",
        metadata={"description": "any attributes.NAME=VALUE filters on the snapshot"},
    )
    theme = fields.String(metadata={"description": "theme name or id; includes its sub-themes"})
    sentiment = fields.String(
        metadata={"enum": list(LABELS), "description": "overall sentiment of the comment"}
    )
    intent = fields.String(
        metadata={
            "enum": list(INTENTS),
            "description": "what the comment wants: praise, complaint, request (asks for something), "
            "question, or other; with theme, what the mention of that theme wants (theme=billing&"
            "intent=request: answers asking something of billing)",
        }
    )
    segment_id = fields.String(metadata={"description": "only answers in this saved segment"})
