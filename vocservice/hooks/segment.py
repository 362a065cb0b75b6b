"""Journey events from Segment: ``POST /webhooks/{workspace}/segment`` takes Segment's webhook
destination format, so events already flowing through Segment reach the touchpoints directly.

- ``track`` is a journey event: ``event`` is its name, ``messageId`` its id (a message Segment
  retries is stored once), ``timestamp`` when it happened, ``properties`` its properties; the
  contact is ``userId`` (else ``anonymous:<anonymousId>``) with email, name and the other traits
  from ``context.traits``. It then takes exactly the path of ``POST /api/v1/events``: the same
  validation, idempotency and touchpoint decisions, and the same answer.
- ``identify`` upserts the contact with its ``traits`` (email, name, locale, the rest as
  attributes), once per ``messageId``.
- other calls (``page``, ``screen``, ``group``, ``alias``) are acknowledged and ignored.

Authentication, as Segment sends it, with the workspace's inbound secret (or the previous one
during a rotation's overlap): either ``X-Signature``, the hex HMAC-SHA1 of the raw body keyed with
the secret (Segment's "shared secret"), or HTTP Basic auth with the secret as user name or
password. Anything else is a 401 and nothing is stored.
"""

import hashlib
import hmac

from flask import Blueprint, Flask, request
from marshmallow import ValidationError
from sqlalchemy import select

from surveys.contact.service import upsert_contact
from surveys.contact.suppression import suppressed_keys
from surveys.core.db import db
from surveys.core.errors import Invalid, Malformed, Unauthorized
from surveys.core.values import check_free_form
from surveys.event.service import ingest_event
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import valid_secrets
from vocservice import safety
from vocservice.api.events import EVENT_SCHEMA, dump_result
from vocservice.extensions import limiter
from vocservice.hooks.events import commit_with_receipt, seen_event

bp = Blueprint("segment_hooks", __name__)
_CONTACT_TRAITS = ("email", "name", "locale")


def _authorised(workspace: Workspace | None, raw: bytes) -> Workspace:
    if workspace is None:
        raise Unauthorized("Unknown workspace or bad credentials.")
    secrets = valid_secrets(workspace, "inbound")
    signature = (request.headers.get("X-Signature") or "").strip().lower()
    ok = False
    if signature:
        for secret in secrets:
            expected = hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()
            ok |= hmac.compare_digest(expected, signature)
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        for given in (auth.username or "", auth.password or ""):
            for secret in secrets:
                ok |= bool(given) and hmac.compare_digest(given.encode(), secret.encode())
    if not ok:
        raise Unauthorized("Unknown workspace or bad credentials.")
    return workspace


def _text(value) -> str | None:
    return None if value is None else str(value)


def _contact(message: dict, traits: dict) -> dict:
    user_id, anonymous_id = message.get("userId"), message.get("anonymousId")
    if user_id not in (None, ""):
        external_id = str(user_id)
    elif anonymous_id not in (None, ""):
        external_id = f"anonymous:{anonymous_id}"
    else:
        raise Invalid("A Segment call needs a userId or an anonymousId.", errors={"userId": ["missing"]})
    contact = {
        "external_id": external_id,
        "attributes": {k: v for k, v in traits.items() if k not in _CONTACT_TRAITS},
    }
    for name in _CONTACT_TRAITS:
        if traits.get(name) not in (None, ""):
            contact[name] = traits[name]
    return contact


def _object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be an object.", errors={field: ["not an object"]})
    return value


def _load(schema, body: dict, what: str) -> dict:
    try:
        return schema.load(body)
    except ValidationError as err:
        raise Invalid(
            f"The Segment call's {what} has invalid fields: see errors.", errors=err.messages
        ) from None


def _track(workspace: Workspace, message: dict):
    traits = _object(_object(message.get("context"), "context").get("traits"), "context.traits")
    body = {
        "id": _text(message.get("messageId")),
        "name": _text(message.get("event")),
        "contact": _contact(message, traits),
        "properties": _object(message.get("properties"), "properties"),
    }
    if occurred := message.get("timestamp") or message.get("originalTimestamp"):
        body["occurred_at"] = occurred
    data = _load(EVENT_SCHEMA, {k: v for k, v in body.items() if v is not None}, "event")
    if seen := seen_event(workspace.id, f"segment:{data['id']}"):
        return seen
    result = ingest_event(db.session, workspace=workspace, data=data)
    if seen := commit_with_receipt(
        workspace.id, f"segment:{data['id']}", seen_event, event_id=result.event.id
    ):
        return seen
    return dump_result(result), 200 if result.duplicate else 202


def _identify(workspace: Workspace, message: dict):
    message_id = _text(message.get("messageId"))
    if not message_id or len(message_id) > 190:
        raise Invalid("An identify call needs a messageId.", errors={"messageId": ["missing or too long"]})
    receipt = f"segment:{message_id}"
    if seen := seen_event(workspace.id, receipt):
        return seen
    traits = _object(message.get("traits"), "traits")
    check_free_form(traits, "traits")
    contact = _load(EVENT_SCHEMA.fields["contact"].schema, _contact(message, traits), "traits")
    if suppressed_keys(
        db.session,
        workspace=workspace,
        contacts={"c": contact},
    ):
        # A person erased at their request: acknowledged, nothing of them stored again (as their
        # journey events are; surveys.contact.suppression).
        answer = {"contact": None}
    else:
        row = upsert_contact(db.session, workspace_id=workspace.id, data=contact)
        answer = {"contact": {"id": row.id, "external_id": row.external_id}}
    if seen := commit_with_receipt(workspace.id, receipt, seen_event):
        return seen
    return answer, 200


@bp.post("/webhooks/<slug>/segment")
@limiter.exempt
def receive_segment(slug: str):
    raw = request.get_data(cache=True)
    workspace = db.session.execute(select(Workspace).where(Workspace.slug == slug)).scalar_one_or_none()
    _authorised(workspace, raw)
    try:
        message = safety.loads(raw)
    except Malformed as exc:
        raise Invalid(exc.detail) from None
    if not isinstance(message, dict):
        raise Invalid("A Segment call is a JSON object.")
    kind = message.get("type")
    if kind == "track":
        return _track(workspace, message)
    if kind == "identify":
        return _identify(workspace, message)
    return {"ignored": True, "type": _text(kind)}, 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
