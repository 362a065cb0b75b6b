"""Journey events in: one or a batch of up to 1,000, idempotent on the sender's event id."""

from flask import current_app, g
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from surveys.core.db import db, rfc3339
from surveys.event.schemas import EventBatchSchema, EventCreateSchema
from surveys.event.service import EventResult, ingest_event, ingest_events
from surveys.workspace.models import Workspace
from vocservice.api.common import Blueprint
from vocservice.auth import INGEST, require
from vocservice.config import links

PREFIX = "/events"
blp = Blueprint("events", __name__, description="Journey events that trigger surveys")


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


def ingest_and_commit(session: Session, workspace: Workspace, data: dict) -> tuple[dict, int]:
    result = ingest_event(session, workspace=workspace, data=data)
    body = dump_result(result)  # before commit: nothing needs reloading afterwards
    session.commit()
    return body, 200 if result.duplicate else 202


@blp.route("", methods=["POST"])
@require(INGEST)
@blp.arguments(EventCreateSchema)
@blp.response(202, description="Accepted; 200 with duplicate=true for an id seen before")
def post_event(data):
    return ingest_and_commit(db.session, g.workspace, data)


@blp.route("/batch", methods=["POST"])
@require(INGEST)
@blp.arguments(EventBatchSchema)
@blp.response(200, description="Per-item results, in input order")
def post_batch(data):
    """Each event is validated and stored on its own; one bad item does not reject the rest."""
    schema = EventCreateSchema()
    results: list[dict | None] = []
    valid: list[tuple[int, dict]] = []
    for index, raw in enumerate(data["events"]):
        try:
            valid.append((index, schema.load(raw)))
            results.append(None)
        except ValidationError as err:
            results.append({"index": index, "status": 422, "errors": err.messages})
    if valid:
        stored = ingest_events(db.session, workspace=g.workspace, items=[v for _, v in valid])
        for (index, _), result in zip(valid, stored, strict=True):
            status = 200 if result.duplicate else 202
            results[index] = {"index": index, "status": status, **dump_result(result)}
    db.session.commit()  # one transaction for the batch: all accepted items land together
    accepted = sum(1 for r in results if r["status"] in (200, 202))
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
