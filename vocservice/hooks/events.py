"""Signed inbound journey events: ``POST /webhooks/{workspace}/events`` (Standard Webhooks).

The signature covers ``webhook-id.webhook-timestamp.raw_body`` with the workspace's inbound
``whsec_`` secret (or the previous one while a rotation's overlap window lasts); timestamps
more than 5 minutes off either way are refused; a ``webhook-id`` seen before
(kept at least 7 days) answers with the first result and stores nothing new. Any malformed or
wrong signature is a 401 and nothing is stored.
"""

import binascii

from flask import Blueprint, Flask, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from surveys.core.db import db
from surveys.core.errors import Invalid, Malformed, Unauthorized
from surveys.core.ledgers import WebhookReceipt
from surveys.event.models import Event
from surveys.event.service import find_result, ingest_event
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import valid_secrets
from vocservice import safety
from vocservice.api.events import EVENT_SCHEMA, dump_result
from vocservice.extensions import limiter

bp = Blueprint("webhooks", __name__)


def _verify(workspace: Workspace | None, raw: bytes) -> None:
    if workspace is None:
        raise Unauthorized("Unknown workspace or bad signature.")
    # The current inbound secret, or the previous one while a rotation's overlap lasts.
    failure = None
    for secret in valid_secrets(workspace, "inbound"):
        try:
            Webhook(secret).verify(raw.decode("utf-8"), dict(request.headers), json_parse=False)
            return
        except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
            failure = failure or exc
    raise Unauthorized(f"Signature check failed: {failure}")


def signed_message(slug: str) -> tuple[Workspace, str, bytes]:
    """The workspace, ``webhook-id`` and raw body of a correctly signed request, else a 401."""
    raw = request.get_data(cache=True)
    workspace = db.session.execute(select(Workspace).where(Workspace.slug == slug)).scalar_one_or_none()
    _verify(workspace, raw)
    message_id = request.headers["webhook-id"]
    if len(message_id) > 200:
        raise Unauthorized("webhook-id is too long.")
    return workspace, message_id, raw


def load_body(raw: bytes, schema, what: str) -> dict:
    """Parse and validate a signed body: bad JSON or fields are a 422 with nothing stored."""
    try:
        payload = safety.loads(raw)
    except Malformed as exc:  # signed but unreadable: a 422 here, as it always was
        raise Invalid(exc.detail) from None
    try:
        return schema.load(payload)
    except ValidationError as err:
        raise Invalid(f"The {what} has invalid fields: see errors.", errors=err.messages) from None


@bp.post("/webhooks/<slug>/events")
@limiter.exempt
def receive_event(slug: str):
    workspace, message_id, raw = signed_message(slug)
    data = load_body(raw, EVENT_SCHEMA, "event")

    seen = seen_event(workspace.id, message_id)
    if seen is not None:
        return seen
    result = ingest_event(db.session, workspace=workspace, data=data)
    if seen := commit_with_receipt(workspace.id, message_id, seen_event, event_id=result.event.id):
        return seen
    return dump_result(result), 200 if result.duplicate else 202


def commit_with_receipt(workspace_id: str, message_id: str, seen, event_id: str | None = None):
    """Commit the work with its receipt. If the same message was delivered twice at once and the
    other delivery stored it first, roll back and return ``seen(...)``'s answer instead."""
    db.session.add(WebhookReceipt(workspace_id=workspace_id, message_id=message_id, event_id=event_id))
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
        answer = seen(workspace_id, message_id)
        if answer is None:
            raise
        return answer


def seen_event(workspace_id: str, message_id: str):
    receipt = db.session.execute(
        select(WebhookReceipt).where(
            WebhookReceipt.workspace_id == workspace_id, WebhookReceipt.message_id == message_id
        )
    ).scalar_one_or_none()
    if receipt is None:
        return None
    event = db.session.get(Event, receipt.event_id) if receipt.event_id else None
    if event is None:
        return {"duplicate": True, "webhook_id": message_id}, 200
    return dump_result(find_result(db.session, workspace_id, event.external_id)), 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
