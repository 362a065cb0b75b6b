"""Signed roadmap updates from other systems (an issue tracker): ``POST /webhooks/{workspace}/roadmap``.

Verified exactly like inbound events (:mod:`vocservice.hooks.events`: Standard Webhooks headers, the
workspace's inbound ``whsec_`` secret or, during a rotation's overlap, the previous one, 5 minutes'
tolerance, any bad signature a 401 with nothing stored)
and deduplicated by ``webhook-id`` in the same receipts table. The body
``{"external_ref", "title"?, "status"?, "description"?}`` updates the item with that reference or
creates it; tracker states such as "open", "todo", "in progress", "done" map to ours.
"""

from flask import Blueprint, Flask
from marshmallow import fields, validate
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.ledgers import WebhookReceipt
from surveys.core.schemas import Base
from surveys.roadmap.importer import apply_tracker_update
from surveys.roadmap.schemas import RoadmapItemSchema
from vocservice.extensions import limiter
from vocservice.hooks.events import commit_with_receipt, load_body, signed_message

bp = Blueprint("roadmap_hooks", __name__)


class TrackerUpdateSchema(Base):
    external_ref = fields.String(required=True, validate=validate.Length(1, 200))
    title = fields.String(allow_none=True, validate=validate.Length(1, 200))
    status = fields.String(allow_none=True, validate=validate.Length(1, 40))
    description = fields.String(allow_none=True, validate=validate.Length(max=10_000))


def _seen(workspace_id: str, message_id: str):
    receipt = db.session.execute(
        select(WebhookReceipt.id).where(
            WebhookReceipt.workspace_id == workspace_id, WebhookReceipt.message_id == message_id
        )
    ).first()
    return ({"duplicate": True, "webhook_id": message_id}, 200) if receipt else None


@bp.post("/webhooks/<slug>/roadmap")
@limiter.exempt
def receive_roadmap_update(slug: str):
    workspace, message_id, raw = signed_message(slug)
    seen = _seen(workspace.id, message_id)
    if seen is not None:
        return seen
    data = load_body(raw, TrackerUpdateSchema(), "update")
    item, created = apply_tracker_update(db.session, workspace=workspace, data=data)
    if seen := commit_with_receipt(workspace.id, message_id, _seen):
        return seen
    return {
        "duplicate": False,
        "created": created,
        "item": RoadmapItemSchema().dump(item),
    }, 201 if created else 200


def init_app(app: Flask) -> None:
    from vocservice.cli.roadmap import roadmap

    app.register_blueprint(bp)
    app.cli.add_command(roadmap)
