"""Segments: saved conditions over the response attribute snapshot (e.g. enterprise in EMEA),
usable as ``segment_id=`` by metrics, theme insights and the response list."""

from flask import g
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.schemas import ListArgsSchema
from surveys.segment import service
from surveys.segment.models import Segment
from surveys.segment.schemas import SegmentCreateSchema, SegmentSchema, SegmentUpdateSchema
from vocservice.api.common import Blueprint, page
from vocservice.auth import READ, require
from vocservice.idempotency import idempotent

PREFIX = "/segments"
blp = Blueprint("segments", __name__, description="Saved customer segments")
ANALYST = READ  # DESIGN.md: analysts manage segments


@blp.route("", methods=["GET"])
@blp.page_response(SegmentSchema)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_segments(args):
    query = select(Segment).where(Segment.workspace_id == g.workspace.id)
    return page(db.session, query, Segment.id, dump=SegmentSchema().dump, **args)


@blp.route("", methods=["POST"])
@require(ANALYST)
@idempotent
@blp.arguments(SegmentCreateSchema)
@blp.response(201, SegmentSchema)
def create_segment(data):
    segment = service.create_segment(db.session, workspace=g.workspace, data=data)
    db.session.flush()  # @idempotent commits, with the stored answer
    return segment


@blp.route("/<segment_id>", methods=["GET"])
@require(READ)
@blp.response(200, SegmentSchema)
def get_segment(segment_id):
    return service.get_segment(db.session, workspace_id=g.workspace.id, segment_id=segment_id)


@blp.route("/<segment_id>", methods=["PATCH"])
@require(ANALYST)
@blp.arguments(SegmentUpdateSchema)
@blp.response(200, SegmentSchema)
def update_segment(data, segment_id):
    segment = service.update_segment(db.session, workspace=g.workspace, segment_id=segment_id, data=data)
    db.session.commit()
    return segment


@blp.route("/<segment_id>", methods=["DELETE"])
@require(ANALYST)
@blp.response(204)
def delete_segment(segment_id):
    service.delete_segment(db.session, workspace=g.workspace, segment_id=segment_id)
    db.session.commit()
    return ""
