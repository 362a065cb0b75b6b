"""Roadmap items: CRUD, impact ranking, linked feedback, manual links and CSV import.

Analysts and admins read and write. ``?sort=`` ranks the workspace's items by their impact
(computed over all its items, then paged with an offset cursor); without it the list is newest
first with an id cursor, like every other list.
"""

from flask import g, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveys.core.db import db
from surveys.core.errors import Invalid, NotFound
from surveys.core.schemas import ListArgsSchema
from surveys.response.models import Response
from surveys.roadmap import service
from surveys.roadmap.impact import ImpactFilters, compute_impact, rank
from surveys.roadmap.importer import MAX_ROWS, import_rows, read_csv
from surveys.roadmap.models import RoadmapItem
from surveys.roadmap.schemas import (
    LinkCreateSchema,
    LinkSchema,
    RoadmapItemCreateSchema,
    RoadmapItemSchema,
    RoadmapItemUpdateSchema,
    RoadmapListArgsSchema,
)
from surveys.survey.models import Survey
from vocservice.api.common import SECURITY, paginate
from vocservice.api.serializers import response_body
from vocservice.auth import READ, require
from vocservice.idempotency import idempotent

PREFIX = "/roadmap-items"
blp = Blueprint("roadmap", __name__, description="Roadmap items and the feedback behind them")
ANALYST = READ  # DESIGN.md: analysts manage the roadmap


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not (cursor.startswith("@") and cursor[1:].isdigit()):
        raise Invalid(
            "This cursor does not belong to a sorted list.",
            errors={"cursor": ["use the next_cursor of the previous page"]},
        )
    return int(cursor[1:])


def _filters(args: dict) -> ImpactFilters:
    if args["survey_id"]:
        survey = db.session.get(Survey, args["survey_id"])
        if survey is None or survey.workspace_id != g.workspace.id:
            raise NotFound(
                f"No survey with id {args['survey_id']!r} in this workspace.",
                errors={"survey_id": ["unknown survey"]},
            )
    return ImpactFilters(
        survey_id=args["survey_id"], start=args["start"], end=args["end"], segment_id=args["segment_id"]
    )


@blp.route("", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.arguments(RoadmapListArgsSchema, location="query")
def list_items(args):
    schema = RoadmapItemSchema()
    if args["sort"] is None:
        query = select(RoadmapItem).where(RoadmapItem.workspace_id == g.workspace.id)
        items, cursor = paginate(
            db.session, query, RoadmapItem.id, limit=args["limit"], cursor=args["cursor"]
        )
        return {"items": schema.dump(items, many=True), "next_cursor": cursor}
    offset, filters = _offset(args["cursor"]), _filters(args)
    ids = list(
        db.session.execute(select(RoadmapItem.id).where(RoadmapItem.workspace_id == g.workspace.id)).scalars()
    )
    impacts = compute_impact(db.session, workspace=g.workspace, item_ids=ids, filters=filters)
    page = rank(impacts, args["sort"])[offset : offset + args["limit"]]
    items = {
        i.id: i for i in db.session.execute(select(RoadmapItem).where(RoadmapItem.id.in_(page))).scalars()
    }
    body = [schema.dump(items[i]) | {"impact": impacts[i]} for i in page]
    more = offset + args["limit"] < len(ids)
    return {"items": body, "next_cursor": f"@{offset + args['limit']}" if more else None}


@blp.route("", methods=["POST"])
@blp.doc(security=SECURITY)
@require(ANALYST)
@idempotent
@blp.arguments(RoadmapItemCreateSchema)
@blp.response(201, RoadmapItemSchema)
def create_item(data):
    item = service.create_item(db.session, workspace=g.workspace, data=data)
    db.session.commit()
    return item


@blp.route("/import", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
            }
        },
    },
    description=f"CSV columns title, description, status, themes (names separated by ;), "
    f"keywords (;), external_ref; upsert on external_ref; at most {MAX_ROWS} rows.",
)
@require(ANALYST)
def import_items():
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("Upload the CSV as the multipart field 'file'.", errors={"file": ["required"]})
    header, rows = read_csv(upload.read())
    if len(rows) > MAX_ROWS:
        raise Invalid(
            f"At most {MAX_ROWS} rows per import; this file has {len(rows)}.",
            errors={"file": [f"at most {MAX_ROWS} rows"]},
        )
    report = import_rows(db.session, workspace=g.workspace, header=header, rows=rows)
    db.session.commit()
    return report.as_dict()


@blp.route("/<item_id>", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
def get_item(item_id):
    item = service.get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    impact = compute_impact(db.session, workspace=g.workspace, item_ids=[item.id])[item.id]
    return RoadmapItemSchema().dump(item) | {"impact": impact}


@blp.route("/<item_id>", methods=["PATCH"])
@blp.doc(security=SECURITY)
@require(ANALYST)
@blp.arguments(RoadmapItemUpdateSchema)
@blp.response(200, RoadmapItemSchema)
def update_item(data, item_id):
    item = service.update_item(db.session, workspace=g.workspace, item_id=item_id, data=data)
    db.session.commit()
    return item


@blp.route("/<item_id>", methods=["DELETE"])
@blp.doc(security=SECURITY)
@require(ANALYST)
@blp.response(204)
def delete_item(item_id):
    service.delete_item(db.session, workspace=g.workspace, item_id=item_id)
    db.session.commit()
    return ""


@blp.route("/<item_id>/feedback", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def item_feedback(args, item_id):
    item = service.get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    query = service.linked_responses_query(item).options(selectinload(Response.analyses))
    items, cursor = paginate(db.session, query, Response.id, **args)
    return {"items": [response_body(r) for r in items], "next_cursor": cursor}


@blp.route("/<item_id>/links", methods=["POST"])
@blp.doc(security=SECURITY)
@require(ANALYST)
@blp.arguments(LinkCreateSchema)
@blp.response(201, LinkSchema, description="Linked; 200 when it was linked already")
def link_response(data, item_id):
    link, created = service.link_response(
        db.session, workspace=g.workspace, item_id=item_id, response_id=data["response_id"]
    )
    db.session.commit()
    return link, 201 if created else 200


@blp.route("/<item_id>/links/<response_id>", methods=["DELETE"])
@blp.doc(security=SECURITY)
@require(ANALYST)
@blp.response(204)
def unlink_response(item_id, response_id):
    service.unlink_response(db.session, workspace=g.workspace, item_id=item_id, response_id=response_id)
    db.session.commit()
    return ""


@blp.route("/<item_id>/links", methods=["DELETE"])
@blp.doc(
    security=SECURITY,
    description="The same as DELETE .../links/{response_id}, with the "
    "id in a JSON body (DESIGN.md's spelling).",
)
@require(ANALYST)
@blp.arguments(LinkCreateSchema)
@blp.response(204)
def unlink_response_by_body(data, item_id):
    return unlink_response(item_id, data["response_id"])
