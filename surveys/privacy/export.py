"""Everything held about one person as one JSON document, written as it is read.

:func:`export_chunks` yields the document in pieces: each section (contacts, events,
invitations, answers with their analyses, webhook messages mentioning them with their
deliveries) is read in batches of :data:`BATCH` rows through one server-side cursor a section,
with Core statements (no identity map), so memory stays flat however many answers they gave.
"""

import json
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.analysis.models import Analysis
from surveys.contact.models import Contact
from surveys.core.db import rfc3339, utcnow
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.privacy.erasure import Subject, find_subject, mention_filter
from surveys.response.models import Response
from surveys.webhook.models import WebhookDelivery, WebhookMessage

BATCH = 500
# Secrets a row may hold that are not the person's data: never exported.
HIDDEN = {"token", "edit_token"}


def _default(value):
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _dumps(value) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def _row(mapping) -> dict:
    return {key: value for key, value in mapping.items() if key not in HIDDEN}


def _keyset(session: Session, table, condition) -> Iterator[list[dict]]:
    """Batches of ``table``'s rows matching ``condition``, by id, from one query read through a
    server-side cursor (one sort, however many batches)."""
    result = session.execute(
        select(table).where(condition).order_by(table.c.id).execution_options(yield_per=BATCH)
    )
    for batch in result.mappings().partitions(BATCH):
        yield [_row(r) for r in batch]


def _section(name: str, batches: Iterator[list[dict]], first: bool = False) -> Iterator[str]:
    yield ("" if first else ", ") + _dumps(name) + ": ["
    started = False
    for rows in batches:
        yield ("" if not started else ", ") + ", ".join(_dumps(r) for r in rows)
        started = True
    yield "]"


def _answers(session: Session, contact_ids: list[str]) -> Iterator[list[dict]]:
    table = Response.__table__
    for rows in _keyset(session, table, table.c.contact_id.in_(contact_ids)):
        analyses: dict[str, list] = {}
        for analysis in session.execute(
            select(Analysis.__table__).where(Analysis.response_id.in_([r["id"] for r in rows]))
        ).mappings():
            analyses.setdefault(analysis["response_id"], []).append(dict(analysis))
        for row in rows:
            row["analyses"] = analyses.get(row["id"], [])
        yield rows


def _messages(session: Session, workspace_id: str, subject: Subject, ids: list[str]) -> Iterator[list[dict]]:
    table = WebhookMessage.__table__
    condition = mention_filter(session, table, ("payload",), subject.identifiers, ids)
    if condition is None:
        return
    for rows in _keyset(session, table, condition & (table.c.workspace_id == workspace_id)):
        deliveries: dict[str, list] = {}
        for delivery in session.execute(
            select(WebhookDelivery.__table__).where(WebhookDelivery.message_id.in_([r["id"] for r in rows]))
        ).mappings():
            deliveries.setdefault(delivery["message_id"], []).append(dict(delivery))
        for row in rows:
            row["deliveries"] = deliveries.get(row["id"], [])
        yield rows


def export_chunks(session: Session, *, workspace_id: str, kind: str, value: str) -> Iterator[str]:
    """The export document of the person ``kind`` = ``value`` names, piece by piece."""
    subject = find_subject(session, workspace_id=workspace_id, kind=kind, value=value)
    ids = subject.contact_ids
    yield "{" + _dumps("exported_at") + ": " + _dumps(utcnow()) + ", "
    yield _dumps("subject") + ": " + _dumps({"kind": kind}) + ", "
    contacts = Contact.__table__
    yield from _section("contacts", _keyset(session, contacts, contacts.c.id.in_(ids)), first=True)
    events = Event.__table__
    yield from _section("events", _keyset(session, events, events.c.contact_id.in_(ids)))
    invitations = Invitation.__table__
    yield from _section("invitations", _keyset(session, invitations, invitations.c.contact_id.in_(ids)))
    yield from _section("responses", _answers(session, ids))
    # Messages name the person by identifier or by contact id (every answer and invitation
    # event carries the contact), which keeps the search to a few patterns however many answers.
    yield from _section("webhook_messages", _messages(session, workspace_id, subject, list(ids)))
    yield "}"
