"""CSV export of the feedback explorer's current filter (``/app/feedback.csv``).

Streamed in keyset-paged batches so a large export neither holds a long transaction open nor
builds the file in memory. UTF-8 with a byte order mark (Excel then reads accents right), and
every cell that a spreadsheet would run as a formula is neutralised with a leading quote.
"""

import csv
import io
import json
import logging
from collections.abc import Iterator

from flask import Response as FlaskResponse
from flask import request, stream_with_context
from sqlalchemy.orm import selectinload

from surveys.analysis.service import current_analysis
from surveys.core.db import db, rfc3339
from surveys.response.models import Response
from surveys.survey.scales import category
from vocservice.webapp import bp
from vocservice.webapp.feedback import filter_query
from vocservice.webapp.filters import cursor_of, parse

log = logging.getLogger(__name__)
BATCH = 500
HEADER = [
    "id",
    "submitted_at",
    "survey",
    "score",
    "category",
    "sentiment",
    # What the comment wants (praise, complaint, request, question, other; nlp.intent).
    "intent",
    "themes",
    # Each theme's mention intent, "theme: intent" in the order of ``themes``.
    "theme_intents",
    "contact",
    "plan",
    "attributes",
    "comment",
    # The journey event that triggered the answer (its snapshot as stored with the answer).
    "event",
    "event_id",
    "event_occurred_at",
    "event_properties",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(response: Response) -> list[str]:
    analysis = current_analysis(response)
    hits = list(analysis.themes) if analysis is not None else []
    themes = [t["name"] for t in hits]
    attributes = response.attributes or {}
    snapshot = response.event_snapshot or {}
    return [
        safe_cell(v)
        for v in (
            response.id,
            rfc3339(response.submitted_at),
            response.survey.name,
            response.score,
            category(response.survey.kind, response.score),
            analysis.sentiment_label if analysis is not None else "",
            (analysis.intent or "") if analysis is not None else "",
            "; ".join(themes),
            "; ".join(f"{t['name']}: {t.get('intent') or 'other'}" for t in hits),
            response.contact.external_id if response.contact else "",
            attributes.get("plan", ""),
            json.dumps(attributes, ensure_ascii=False, sort_keys=True),
            response.comment or "",
            snapshot.get("name", ""),
            snapshot.get("external_id", ""),
            snapshot.get("occurred_at", ""),
            json.dumps(snapshot["properties"], ensure_ascii=False, sort_keys=True)
            if snapshot.get("properties")
            else "",
        )
    ]


def _batch(flt) -> list[Response]:
    query = filter_query(flt).options(selectinload(Response.analyses)).limit(BATCH)
    return db.session.execute(query).unique().scalars().all()


def _lines(flt, first: list[Response]) -> Iterator[str]:
    """The CSV, batch by batch. ``first`` was read before the answer started, so a request that
    cannot be served fails with a proper status; a failure after that (the database going away
    mid-export) ends the file with a line saying it is incomplete rather than cutting it silently.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield "\ufeff" + flush()
    rows, written = first, 0
    while True:
        for response in rows:
            writer.writerow(_row(response))
        written += len(rows)
        yield flush()
        db.session.rollback()  # end each batch's transaction; the next starts at the cursor
        if len(rows) < BATCH:
            return
        flt.cursor = cursor_of(rows[-1])
        try:
            rows = _batch(flt)
        except Exception:  # noqa: BLE001 - the status line is sent; say so in the file instead
            log.exception("feedback export failed after %d rows", written)
            db.session.rollback()
            writer.writerow([f"# export incomplete: it stopped after {written} rows; download it again"])
            yield flush()
            return


@bp.get("/feedback.csv")
def feedback_csv():
    flt = parse(request.args)
    flt.cursor = ""
    first = _batch(flt)  # unknown survey/theme -> 404, before the download starts
    body = stream_with_context(_lines(flt, first))
    return FlaskResponse(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="feedback.csv"', "Cache-Control": "no-store"},
    )
