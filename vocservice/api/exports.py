"""Bulk export for the warehouse: ``GET /api/v1/exports/responses`` streams every answer of the
workspace changed since ``updated_since`` as NDJSON (one JSON object a line: the body of
``GET /api/v1/responses/{id}`` plus ``updated_at`` and ``export_cursor``), oldest change first.

A nightly loader keeps a warehouse in step without scraping pages: it passes the previous run's
``X-Export-Until`` header as ``updated_since``. Rows changed in the last minute before the
request (``VOC_EXPORT_LAG_SECONDS``, 60) wait for the next run, so a transaction still in flight
cannot slip behind the mark. An
interrupted download resumes with ``?cursor=`` set to the ``export_cursor`` of the last line
received. The stream reads 1,000 rows at a time by keyset (``updated_at``, ``id``) on an index,
so memory stays flat at a million rows.
"""

import base64
import binascii
import json
import logging
from datetime import datetime, timedelta

from flask import Response as FlaskResponse
from flask import current_app, g, stream_with_context
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from surveys.core.db import db, rfc3339, utcnow
from surveys.core.errors import Invalid
from surveys.core.schemas import EARLIEST, Time
from surveys.response.models import Response
from vocservice.api.common import Blueprint
from vocservice.api.serializers import ResponseBodySchema, response_body
from vocservice.auth import READ, require

log = logging.getLogger(__name__)

PREFIX = "/exports"
blp = Blueprint("exports", __name__, description="Bulk exports for data warehouses (NDJSON)")
CHUNK = 1000


class ExportArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    updated_since = Time(load_default=None, metadata={"description": "the previous run's X-Export-Until"})
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "the export_cursor of the last line received, to resume"},
    )
    limit = fields.Integer(load_default=None, validate=validate.Range(1, 10_000_000))


class ExportLineSchema(ResponseBodySchema):
    """One line of the export."""

    updated_at = Time()
    export_cursor = fields.String(metadata={"description": "pass as ?cursor= to resume after this line"})


def _cursor(updated_at: datetime, response_id: str) -> str:
    return base64.urlsafe_b64encode(f"{rfc3339(updated_at)}|{response_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, _, response_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return Time().deserialize(stamp), response_id
    except (ValueError, binascii.Error, UnicodeError, ValidationError) as error:
        raise Invalid(
            "The cursor is not one this export gave.", errors={"cursor": ["unknown cursor"]}
        ) from error


def _chunk(workspace_id: str, after: tuple[datetime, str], until: datetime, size: int) -> list[Response]:
    query = (
        select(Response)
        .where(
            Response.workspace_id == workspace_id,
            tuple_(Response.updated_at, Response.id) > tuple_(*after),
            Response.updated_at < until,
        )
        .order_by(Response.updated_at, Response.id)
        .limit(size)
        .options(selectinload(Response.analyses), selectinload(Response.roadmap_items))
    )
    return list(db.session.execute(query).unique().scalars())


@blp.route("/responses", methods=["GET"])
@require(READ)
@blp.arguments(ExportArgsSchema, location="query")
@blp.alt_response(
    200,
    schema=ExportLineSchema,
    content_type="application/x-ndjson",
    description="One ExportLine per line; the X-Export-Until header is the next run's updated_since.",
    success=True,
)
def export_responses(args):
    until = utcnow() - timedelta(seconds=current_app.config["VOC_EXPORT_LAG_SECONDS"])
    # updated_since is inclusive: every id sorts after "".
    after = _decode(args["cursor"]) if args["cursor"] else (args["updated_since"] or EARLIEST, "")
    limit = args["limit"]
    workspace_id = g.workspace.id
    first = _chunk(workspace_id, after, until, min(CHUNK, limit or CHUNK))  # bad state -> error before 200

    def lines():
        rows, sent = first, 0
        while rows:
            for response in rows:
                body = response_body(response)
                body["updated_at"] = rfc3339(response.updated_at)
                body["export_cursor"] = _cursor(response.updated_at, response.id)
                yield json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
            sent += len(rows)
            after = (rows[-1].updated_at, rows[-1].id)  # read before the objects are let go
            full = len(rows) == CHUNK
            db.session.rollback()  # end the chunk's transaction and forget its objects
            db.session.expunge_all()
            want = CHUNK if limit is None else min(CHUNK, limit - sent)
            if not full or want <= 0:
                return
            rows = _chunk(workspace_id, after, until, want)

    return FlaskResponse(
        stream_with_context(lines()),
        mimetype="application/x-ndjson",
        headers={"X-Export-Until": rfc3339(until), "Cache-Control": "no-store"},
    )
