"""Journey events in: one or a batch of up to 1,000, idempotent on the sender's event id."""

from flask import current_app, g, request
from marshmallow import ValidationError

from surveys.contact.service import contact_key
from surveys.core import pipeline
from surveys.core.db import db, rfc3339
from surveys.core.errors import DomainError
from surveys.core.schemas import parsed_strictly
from surveys.core.values import ContactAttributesFull
from surveys.event.schemas import EventBatchSchema, EventCreateSchema
from surveys.event.service import EventResult, ingest_event, ingest_events
from vocservice.api.common import Blueprint, doc_only, item_error
from vocservice.auth import INGEST, require
from vocservice.config import links
from vocservice.idempotency import idempotent
from vocservice.safety import item_or_raise, per_item

PREFIX = "/events"
blp = Blueprint("events", __name__, description="Journey events that trigger surveys")
# One instance, shared: webargs given a class builds a new schema (and deep-copies every field,
# the nested contact schema's too) on every request; loading keeps no state on it. Every body it
# loads (API, batch items, signed webhook) was read by safety.loads.
EVENT_SCHEMA = parsed_strictly(EventCreateSchema())


def dump_result(result: EventResult) -> dict:
    body = {
        "id": result.event.id,
        "external_id": result.event.external_id,
        "duplicate": result.duplicate,
        "cancelled": result.cancelled,
        "invitations": [],
    }
    respondent = links(current_app.config)
    for inv in result.invitations:
        body["invitations"].append(
            {
                "id": inv.id,
                "survey_id": inv.survey_id,
                "touchpoint_id": inv.touchpoint_id,
                "channel": inv.channel,
                "status": inv.status,
                "reason": inv.reason,
                "scheduled_for": rfc3339(inv.scheduled_for),
                "expires_at": rfc3339(inv.expires_at),
                "url": respondent.survey_url(inv.token) if inv.status != "suppressed" else None,
            }
        )
    return body


@blp.route("", methods=["POST"])
@require(INGEST, checked_with_first_statement=True)
@idempotent
# Documented as any view; parsed (the same parser, schema and errors) and answered below
# without the two layers flask-smorest would add around each call.
@doc_only(blp.arguments(EVENT_SCHEMA))
@doc_only(blp.response(202, description="Accepted; 200 with duplicate=true for an id seen before"))
@doc_only(
    blp.alt_response(200, description="An id seen before: duplicate=true, nothing new stored", success=True)
)
def post_event():
    data = blp.ARGUMENTS_PARSER.parse(EVENT_SCHEMA, request, location="json")
    # @idempotent commits next: the invitations go in with that COMMIT, in its round trip.
    result = ingest_event(db.session, workspace=g.workspace, data=data, invitations_at_commit=True)
    # The key's check went with ingest_event's first round trip; should none have been sent
    # (no statement through surveys.core.pipeline), it goes now, before the commit.
    pipeline.settle(db.session)
    return dump_result(result), 200 if result.duplicate else 202


@blp.route("/batch", methods=["POST"])
@require(INGEST)
@idempotent
@per_item("events")
@blp.arguments(EventBatchSchema)
@blp.response(200, description="Per-item results, in input order")
def post_batch(data):
    """Each event is validated and stored on its own; one bad item does not reject the rest."""
    schema = EVENT_SCHEMA
    results: list[dict | None] = []
    valid: list[tuple[int, dict]] = []
    for index, raw in enumerate(data["events"]):
        try:
            valid.append((index, schema.load(item_or_raise(raw))))
            results.append(None)
        except ValidationError as err:
            results.append({"index": index, "status": 422, "errors": err.messages})
        except DomainError as err:
            results.append(item_error(index, err))
    while valid:
        savepoint = db.session.begin_nested()
        try:
            stored = ingest_events(db.session, workspace=g.workspace, items=[v for _, v in valid])
            savepoint.commit()
        except ContactAttributesFull as err:
            # Only the merged, locked row can tell; refuse that contact's items, store the rest.
            savepoint.rollback()
            refused = [(i, v) for i, v in valid if contact_key(v["contact"]) == err.contact]
            if not refused:
                raise
            for index, _ in refused:
                results[index] = item_error(index, err)
            valid = [(i, v) for i, v in valid if contact_key(v["contact"]) != err.contact]
            continue
        for (index, _), result in zip(valid, stored, strict=True):
            status = 200 if result.duplicate else 202
            results[index] = {"index": index, "status": status, **dump_result(result)}
        break
    # One transaction for the batch (committed by @idempotent): all accepted items land together.
    accepted = sum(1 for r in results if r["status"] in (200, 202))
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
