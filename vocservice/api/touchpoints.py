"""Touchpoints: which journey event triggers which survey, through which channel and when."""

from flask import current_app, g
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.schemas import ListArgsSchema
from surveys.survey import service
from surveys.survey.models import Touchpoint
from surveys.survey.schemas import TouchpointCreateSchema, TouchpointSchema, TouchpointUpdateSchema
from vocservice.api.common import Blueprint, page
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/touchpoints"
blp = Blueprint("touchpoints", __name__, description="Event-to-survey rules")


def _allow_private_urls() -> bool:
    return current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"]


@blp.route("", methods=["POST"])
@require(ADMIN)
@idempotent
@blp.arguments(TouchpointCreateSchema)
@blp.response(201, TouchpointSchema)
def create_touchpoint(data):
    touchpoint = service.create_touchpoint(
        db.session, workspace=g.workspace, data=data, allow_private_urls=_allow_private_urls()
    )
    db.session.flush()  # @idempotent commits, with the stored answer
    return touchpoint


@blp.route("", methods=["GET"])
@blp.page_response(TouchpointSchema)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_touchpoints(args):
    query = select(Touchpoint).where(Touchpoint.workspace_id == g.workspace.id)
    return page(db.session, query, Touchpoint.id, dump=TouchpointSchema().dump, **args)


@blp.route("/<touchpoint_id>", methods=["GET"])
@require(READ)
@blp.response(200, TouchpointSchema)
def get_touchpoint(touchpoint_id):
    return service.get_touchpoint(db.session, workspace_id=g.workspace.id, touchpoint_id=touchpoint_id)


@blp.route("/<touchpoint_id>", methods=["PATCH"])
@require(ADMIN)
@blp.arguments(TouchpointUpdateSchema)
@blp.response(200, TouchpointSchema)
def update_touchpoint(data, touchpoint_id):
    touchpoint = service.update_touchpoint(
        db.session,
        workspace=g.workspace,
        touchpoint_id=touchpoint_id,
        data=data,
        allow_private_urls=_allow_private_urls(),
    )
    db.session.commit()
    return touchpoint
