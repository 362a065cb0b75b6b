"""Responses: answers collected elsewhere come in here (one or a batch); all answers are listed
and filtered here, with the contact's attribute snapshot taken at response time."""

from datetime import datetime

from flask import g, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from nlp import ANALYZER_VERSION
from nlp.results import INTENTS, LABELS
from surveys.analysis.models import Analysis, ResponseTheme
from surveys.analysis.themes import resolve_theme_ids
from surveys.core.db import db
from surveys.core.errors import DomainError, Invalid
from surveys.core.schemas import in_range_utc, parsed_strictly
from surveys.response import service
from surveys.response.batch import create_responses
from surveys.response.models import Response
from surveys.response.schemas import ResponseBatchSchema, ResponseCreateSchema, ResponseListArgsSchema
from surveys.response.service import create_response
from surveys.segment.service import filter_for
from vocservice.api.common import Blueprint, item_error, owned, page
from vocservice.api.serializers import ResponseBodySchema, response_body
from vocservice.auth import INGEST, READ, require
from vocservice.idempotency import idempotent
from vocservice.safety import item_or_raise, per_item

PREFIX = "/responses"
blp = Blueprint("responses", __name__, description="Survey answers")
# One instance, shared (loading keeps no state on it), for bodies read by safety.loads: a batch
# item is walked once, by the schema's own rules, not again for NUL and surrogates.
RESPONSE_SCHEMA = parsed_strictly(ResponseCreateSchema())


@blp.route("", methods=["POST"])
@require(INGEST)
@idempotent
@blp.arguments(RESPONSE_SCHEMA)
@blp.response(201, description="Created; 200 when the sender's id was seen before")
def post_response(data):
    response, created = create_response(db.session, workspace=g.workspace, data=data)
    db.session.flush()  # @idempotent commits, with the stored answer
    return response_body(response), 201 if created else 200


@blp.route("/batch", methods=["POST"])
@require(INGEST)
@idempotent
@per_item("responses")
@blp.arguments(ResponseBatchSchema)
@blp.response(200, description="Per-item results, in input order")
def post_batch(data):
    """Each answer is validated on its own, then the good ones are stored together (set-based);
    one bad item does not reject the rest."""
    schema = RESPONSE_SCHEMA
    results: list[dict | None] = []
    valid: list[tuple[int, dict]] = []
    for index, raw in enumerate(data["responses"]):
        try:
            valid.append((index, schema.load(item_or_raise(raw))))
            results.append(None)
        except ValidationError as err:
            results.append({"index": index, "status": 422, "errors": err.messages})
        except DomainError as err:
            results.append(item_error(index, err))
    outcomes = create_responses(db.session, workspace=g.workspace, items=[item for _, item in valid])
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            results[index] = item_error(index, outcome)
        else:
            results[index] = {"index": index, "status": 201 if outcome.created else 200, "id": outcome.id}
    db.session.flush()  # committed by @idempotent, with the stored answer
    accepted = sum(1 for r in results if r["status"] in (200, 201))
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}


def _time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be an RFC 3339 time.", errors={name: ["not a time"]}) from None
    if value.tzinfo is None:
        raise Invalid(f"{name} needs a timezone, e.g. Z.", errors={name: ["no timezone"]})
    try:
        return in_range_utc(value)
    except ValueError:
        detail = f"{name} must be between 1900 and 2999 (UTC)."
        raise Invalid(detail, errors={name: ["out of range"]}) from None


def _analysis_filters(query):
    intent = request.args.get("intent")
    if intent and intent not in INTENTS:
        raise Invalid(f"Unknown intent {intent!r}.", errors={"intent": [f"one of {', '.join(INTENTS)}"]})
    if theme := request.args.get("theme"):
        theme_ids = resolve_theme_ids(db.session, workspace_id=g.workspace.id, name_or_id=theme)
        # With a theme, the intent is the mention's: what was asked (or complained) about it.
        mention = [ResponseTheme.intent == intent] if intent else []
        query = query.where(
            Response.id.in_(
                select(ResponseTheme.response_id).where(
                    ResponseTheme.workspace_id == g.workspace.id,
                    ResponseTheme.theme_id.in_(theme_ids),
                    *mention,
                )
            )
        )
        intent = None
    if sentiment := request.args.get("sentiment"):
        if sentiment not in LABELS:
            raise Invalid(
                f"Unknown sentiment {sentiment!r}.", errors={"sentiment": [f"one of {', '.join(LABELS)}"]}
            )
        query = query.where(
            Response.id.in_(
                select(Analysis.response_id).where(
                    Analysis.analyzer_version == ANALYZER_VERSION, Analysis.sentiment_label == sentiment
                )
            )
        )
    if intent:
        query = query.where(
            Response.id.in_(
                select(Analysis.response_id).where(
                    Analysis.analyzer_version == ANALYZER_VERSION, Analysis.intent == intent
                )
            )
        )
    return query


@blp.route("", methods=["GET"])
@blp.page_response(ResponseBodySchema)
@require(READ)
@blp.arguments(ResponseListArgsSchema, location="query")
def list_responses(args):
    query = select(Response).where(Response.workspace_id == g.workspace.id)
    if survey_id := request.args.get("survey_id"):
        query = query.where(Response.survey_id == survey_id)
    if start := _time_arg("from"):
        query = query.where(Response.submitted_at >= start)
    if end := _time_arg("to"):
        query = query.where(Response.submitted_at < end)
    for key, value in request.args.items():
        if key.startswith("attributes.") and len(key) > len("attributes."):
            query = query.where(Response.attributes[key.split(".", 1)[1]].as_string() == value)
    if segment_id := request.args.get("segment_id"):
        query = query.where(filter_for(db.session, workspace_id=g.workspace.id, segment_id=segment_id))
    query = _analysis_filters(query).options(selectinload(Response.analyses))
    return page(
        db.session, query, Response.id, dump=response_body, limit=args["limit"], cursor=args["cursor"]
    )


@blp.route("/<response_id>", methods=["GET"])
@blp.alt_response(200, schema=ResponseBodySchema, description="The response.", success=True)
@require(READ)
def get_response(response_id):
    return response_body(owned(db.session, Response, response_id, "response"))


@blp.route("/<response_id>", methods=["DELETE"])
@require(READ)  # admins and analysts: DESIGN.md lets analysts manage feedback and analysis
@blp.response(204, description="Deleted, with its analysis, theme tags, corrections and roadmap links")
@blp.alt_response(404, description="No such response in this workspace")
def delete_response(response_id):
    """Rollups, theme rollups and roadmap impact no longer count it once this returns."""
    service.delete_response(db.session, workspace_id=g.workspace.id, response_id=response_id)
    db.session.commit()
    return ""
