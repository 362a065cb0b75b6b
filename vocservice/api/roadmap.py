"""Roadmap items: CRUD, impact ranking, linked feedback, manual links and CSV import.

Analysts and admins read and write. ``?sort=`` ranks the workspace's items by their impact and
pages with an offset cursor (``@N``): without filters the database orders the per-item rollup
totals and only the page is read; with ``survey_id``/``from``/``to`` every item's figures come
from the link facts of that window, with ``segment_id`` from the raw rows
(:mod:`surveys.roadmap.rollups`). Without ``sort`` the list is newest first with an id cursor,
like every other list.
"""

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.core.schemas import ListArgsSchema
from surveys.customer import revenue
from surveys.response.models import Response
from surveys.roadmap import service
from surveys.roadmap.impact import ImpactFilters, impact, ranked_items
from surveys.roadmap.importer import MAX_ROWS, import_rows, read_csv
from surveys.roadmap.models import RoadmapItem
from surveys.roadmap.outcome import outcome
from surveys.roadmap.outcome_schemas import (
    OutcomeArgsSchema,
    OutcomeSchema,
    ResurveyCreateSchema,
    ResurveySchema,
)
from surveys.roadmap.resurvey import resurvey
from surveys.roadmap.schemas import (
    LinkCreateSchema,
    LinkSchema,
    RoadmapItemCreateSchema,
    RoadmapItemSchema,
    RoadmapItemUpdateSchema,
    RoadmapListArgsSchema,
)
from surveys.survey.service import get_survey
from vocservice.api.common import Blueprint, page, paginate
from vocservice.api.serializers import LinkedFeedbackSchema, response_body
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/roadmap-items"
blp = Blueprint("roadmap", __name__, description="Roadmap items and the feedback behind them")
ANALYST = READ  # DESIGN.md: analysts manage the roadmap
IMPORT_REPORT = {"type": "object", "description": "Counts and per-row errors of the import."}


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not (cursor.startswith("@") and cursor[1:].isascii() and cursor[1:].isdigit() and len(cursor) <= 10):
        raise Invalid(
            "This cursor does not belong to a sorted list.",
            errors={"cursor": ["use the next_cursor of the previous page"]},
        )
    return int(cursor[1:])


def _at_risk(found: dict | None) -> dict:
    figures = revenue.figures_or_zero(found)
    return {"revenue_at_risk": figures["revenue_at_risk"], "customers_at_risk": figures["customers_at_risk"]}


def _filters(args: dict) -> ImpactFilters:
    if args["survey_id"]:
        get_survey(db.session, workspace_id=g.workspace.id, survey_id=args["survey_id"], field="survey_id")
    return ImpactFilters(
        survey_id=args["survey_id"], start=args["start"], end=args["end"], segment_id=args["segment_id"]
    )


@blp.route("", methods=["GET"])
@blp.page_response(
    RoadmapItemSchema,
    description="One page of the list: pass next_cursor back as ?cursor= for the next page; null on "
    "the last page. With ?sort= each item carries its impact, revenue_at_risk and customers_at_risk "
    "(linked customers whose latest answer is a detractor or who spoke negatively about the item's "
    "themes) and the cursor is an offset (@N).",
)
@require(READ)
@blp.arguments(RoadmapListArgsSchema, location="query")
def list_items(args):
    schema = RoadmapItemSchema()
    if args["sort"] is None:
        query = select(RoadmapItem).where(RoadmapItem.workspace_id == g.workspace.id)
        return page(
            db.session, query, RoadmapItem.id, limit=args["limit"], cursor=args["cursor"], dump=schema.dump
        )
    offset, limit = _offset(args["cursor"]), args["limit"]
    ranked = ranked_items(
        db.session,
        workspace=g.workspace,
        sort=args["sort"],
        filters=_filters(args),
        offset=offset,
        limit=limit,
    )
    following = ranked.next_offset(offset, limit)
    money = revenue.by_roadmap_item(
        db.session, workspace_id=g.workspace.id, item_ids=[row.item.id for row in ranked.rows]
    )
    return {
        "items": [
            schema.dump(row.item) | {"impact": row.impact, **_at_risk(money.get(row.item.id))}
            for row in ranked.rows
        ],
        "next_cursor": None if following is None else f"@{following}",
    }


@blp.route("", methods=["POST"])
@require(ANALYST)
@idempotent
@blp.arguments(RoadmapItemCreateSchema)
@blp.response(201, RoadmapItemSchema)
def create_item(data):
    item = service.create_item(db.session, workspace=g.workspace, data=data)
    db.session.flush()  # @idempotent commits, with the stored answer
    return item


@blp.route("/import", methods=["POST"])
@blp.doc(
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
@blp.alt_response(200, schema=IMPORT_REPORT, description="What the import did, row by row.", success=True)
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
@blp.alt_response(200, schema=RoadmapItemSchema, description="The item with its impact.", success=True)
@require(READ)
def get_item(item_id):
    item = service.get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    figures = impact(db.session, workspace=g.workspace, item_ids=[item.id])[item.id]
    return RoadmapItemSchema().dump(item) | {"impact": figures}


@blp.route("/<item_id>", methods=["PATCH"])
@require(ANALYST)
@blp.arguments(RoadmapItemUpdateSchema)
@blp.response(200, RoadmapItemSchema)
def update_item(data, item_id):
    item = service.update_item(db.session, workspace=g.workspace, item_id=item_id, data=data)
    db.session.commit()
    return item


@blp.route("/<item_id>", methods=["DELETE"])
@require(ANALYST)
@blp.response(204)
def delete_item(item_id):
    service.delete_item(db.session, workspace=g.workspace, item_id=item_id)
    db.session.commit()
    return ""


@blp.route("/<item_id>/feedback", methods=["GET"])
@blp.page_response(LinkedFeedbackSchema)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def item_feedback(args, item_id):
    """Each answer linked to the item, with ``link``: how it was linked and the words that made
    an automatic link (each with the keyword or theme it matched)."""
    item = service.get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    query = service.linked_responses_query(item).options(selectinload(Response.analyses))
    rows, next_cursor = paginate(db.session, query, Response.id, limit=args["limit"], cursor=args["cursor"])
    links = service.links_of(db.session, item_id=item.id, response_ids=[r.id for r in rows])
    items = [{**response_body(r), "link": links.get(r.id)} for r in rows]
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<item_id>/links", methods=["POST"])
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
@require(ANALYST)
@blp.response(204)
def unlink_response(item_id, response_id):
    service.unlink_response(db.session, workspace=g.workspace, item_id=item_id, response_id=response_id)
    db.session.commit()
    return ""


@blp.route("/<item_id>/links", methods=["DELETE"])
@blp.doc(
    description="The same as DELETE .../links/{response_id}, with the "
    "id in a JSON body (DESIGN.md's spelling).",
)
@require(ANALYST)
@blp.arguments(LinkCreateSchema)
@blp.response(204)
def unlink_response_by_body(data, item_id):
    return unlink_response(item_id, data["response_id"])


@blp.route("/<item_id>/outcome", methods=["GET"])
@blp.doc(
    description="Did shipping help? For a shipped item: its linked customers' score per survey and "
    "the negative share of the item's themes, in the window before shipping and after it, beside "
    "customers not linked; each change with its 95% interval and test. 409 when the item is not "
    "shipped."
)
@require(READ)
@blp.arguments(OutcomeArgsSchema, location="query")
@blp.response(200, OutcomeSchema)
@blp.alt_response(404, description="No such roadmap item in this workspace (a problem)")
@blp.alt_response(409, description="The item is not shipped (a problem): nothing to measure yet")
def item_outcome(args, item_id):
    item = service.get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    return outcome(db.session, item=item, window_days=args["window_days"])


@blp.route("/<item_id>/resurvey", methods=["POST"])
@blp.doc(
    description="Ask the item's linked customers again through a touchpoint, respecting its "
    "conditions, unsubscribes and fatigue; a second call asks nobody twice (an Idempotency-Key "
    "replays the first answer). 409 when the item is not shipped."
)
@require(ADMIN)
@idempotent
@blp.arguments(ResurveyCreateSchema)
@blp.response(200, ResurveySchema)
@blp.alt_response(404, description="No such roadmap item in this workspace (a problem)")
@blp.alt_response(409, description="The item is not shipped (a problem)")
def item_resurvey(data, item_id):
    item = service.get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    # @idempotent commits, with the stored answer (with or without an Idempotency-Key).
    return resurvey(db.session, workspace=g.workspace, item=item, touchpoint_id=data["touchpoint_id"])
