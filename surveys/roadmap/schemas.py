"""Schemas of the roadmap API: items in and out, manual links, and the list/impact query."""

from marshmallow import Schema, ValidationError, fields, post_load, validate

from surveys.analysis.schemas import _clean_keywords
from surveys.core.schemas import Base, Time
from surveys.roadmap.models import STATUSES

MAX_KEYWORDS = 200
MAX_THEMES = 50
SORTS = ("impact", "responses", "detractors", "customers", "revenue", "negative_share")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def _themes(**kwargs):
    return fields.List(
        fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=MAX_THEMES), **kwargs
    )


def _keywords(**kwargs):
    return fields.List(
        fields.String(validate=validate.Length(1, 100)), validate=validate.Length(max=MAX_KEYWORDS), **kwargs
    )


class RoadmapItemCreateSchema(Base):
    title = fields.String(required=True, validate=[validate.Length(1, 200), _not_blank])
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    status = fields.String(load_default="idea", validate=validate.OneOf(STATUSES))
    theme_ids = _themes(load_default=list)
    keywords = _keywords(load_default=list)
    external_ref = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(1, 200), _not_blank]
    )

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        if "title" in data:
            data["title"] = " ".join(data["title"].split())
        if "keywords" in data:
            data["keywords"] = _clean_keywords(data["keywords"])
        if "theme_ids" in data:
            data["theme_ids"] = list(dict.fromkeys(data["theme_ids"]))
        if data.get("external_ref") is not None:
            data["external_ref"] = data["external_ref"].strip()
        return data


class RoadmapItemUpdateSchema(RoadmapItemCreateSchema):
    """Every field optional; only those sent change."""

    title = fields.String(validate=[validate.Length(1, 200), _not_blank])
    description = fields.String(validate=validate.Length(max=10_000))
    status = fields.String(validate=validate.OneOf(STATUSES))
    theme_ids = _themes()
    keywords = _keywords()
    external_ref = fields.String(allow_none=True, validate=[validate.Length(1, 200), _not_blank])


class ImpactSchema(Schema):
    responses = fields.Integer()
    detractors = fields.Integer()
    customers = fields.Integer()
    revenue = fields.Float()
    negative_share = fields.Float(allow_none=True)
    score = fields.Float(
        metadata={
            "description": "0..1: half detractors, half revenue, each relative to the top item of this list"
        }
    )


class RoadmapItemSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    status = fields.String()
    theme_ids = fields.List(fields.String())
    keywords = fields.List(fields.String())
    external_ref = fields.String(allow_none=True)
    created_at = Time()
    updated_at = Time()
    impact = fields.Nested(ImpactSchema, metadata={"description": "with ?sort= only"})


class RoadmapListArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=60))
    sort = fields.String(load_default=None, validate=validate.OneOf(SORTS))
    survey_id = fields.String(load_default=None, validate=validate.Length(1, 40))
    start = Time(data_key="from", load_default=None)
    end = Time(data_key="to", load_default=None)
    segment_id = fields.String(load_default=None, validate=validate.Length(1, 40))


class LinkCreateSchema(Base):
    response_id = fields.String(required=True, validate=validate.Length(1, 40))


class LinkSchema(Schema):
    item_id = fields.String()
    response_id = fields.String()
    source = fields.String()
    created_at = Time()
