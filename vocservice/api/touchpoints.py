"""Touchpoints: which journey event triggers which survey, through which channel and when."""

from flask import current_app, g
from flask_smorest import Blueprint
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.core.netguard import check_url
from surveys.core.schemas import ListArgsSchema
from surveys.survey.models import Survey, Touchpoint
from surveys.survey.schemas import TouchpointCreateSchema, TouchpointSchema, TouchpointUpdateSchema
from vocservice.api.common import SECURITY, owned, paginate
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/touchpoints"
blp = Blueprint("touchpoints", __name__, description="Event-to-survey rules")


def _check(data: dict, touchpoint: Touchpoint | None = None) -> None:
    if "survey_id" in data:
        owned(db.session, Survey, data["survey_id"], "survey")
    if data.get("webhook_url"):
        check_url(
            data["webhook_url"],
            field="webhook_url",
            allow_private=current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"],
        )
    channel = data.get("channel", touchpoint.channel if touchpoint else None)
    url = data.get("webhook_url", touchpoint.webhook_url if touchpoint else None)
    if channel == "webhook" and not url:
        raise Invalid(
            "The webhook channel needs a webhook_url.",
            errors={"webhook_url": ["required for the webhook channel"]},
        )


@blp.route("", methods=["POST"])
@blp.doc(security=SECURITY)
@require(ADMIN)
@idempotent
@blp.arguments(TouchpointCreateSchema)
@blp.response(201, TouchpointSchema)
def create_touchpoint(data):
    _check(data)
    touchpoint = Touchpoint(workspace_id=g.workspace.id, **data)
    db.session.add(touchpoint)
    db.session.commit()
    return touchpoint


@blp.route("", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_touchpoints(args):
    query = select(Touchpoint).where(Touchpoint.workspace_id == g.workspace.id)
    items, cursor = paginate(db.session, query, Touchpoint.id, **args)
    return {"items": TouchpointSchema(many=True).dump(items), "next_cursor": cursor}


@blp.route("/<touchpoint_id>", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.response(200, TouchpointSchema)
def get_touchpoint(touchpoint_id):
    return owned(db.session, Touchpoint, touchpoint_id, "touchpoint")


@blp.route("/<touchpoint_id>", methods=["PATCH"])
@blp.doc(security=SECURITY)
@require(ADMIN)
@blp.arguments(TouchpointUpdateSchema)
@blp.response(200, TouchpointSchema)
def update_touchpoint(data, touchpoint_id):
    touchpoint = owned(db.session, Touchpoint, touchpoint_id, "touchpoint")
    _check(data, touchpoint)
    for field, value in data.items():
        setattr(touchpoint, field, value)
    db.session.commit()
    return touchpoint
