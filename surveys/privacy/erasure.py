"""Erasure of one person: every row that points at them, their answers through the paths the
rollup listeners see, the logs that mention them, then a suppression and ``contact.erased``.

:func:`request_erasure` runs in the request: it records a durable :class:`ErasureRequest`, the
suppression (so an event arriving from now on invites nobody) and an audit row, and defers the
``erase_person`` job. It does the same whether or not anyone matches, and never looks: the
answer cannot tell who exists. :func:`run_erasure` is the job: it finds the person's contacts,
walks the models' ``__privacy__`` declarations (:mod:`surveys.privacy.registry`), and clears the
identifier from the request when done. The tick re-enqueues requests still pending.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import JSON, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from surveys.contact import suppression
from surveys.contact.models import Contact
from surveys.core import jobs
from surveys.core.db import chunks, contains_pattern, is_postgres, lock_rows, rfc3339, utcnow
from surveys.invitation.models import Invitation
from surveys.privacy import audit, registry
from surveys.privacy.models import ErasureRequest
from surveys.response.models import Response
from surveys.webhook import outbox

BATCH = 500
ID_CHUNK = 200
REQUEUE_AFTER = timedelta(minutes=10)


@dataclass
class Subject:
    """Who an erasure or export is about: the normalised identifier and what was found."""

    kind: str
    value: str
    contact_ids: list[str] = field(default_factory=list)
    identifiers: set[str] = field(default_factory=set)


@dataclass
class ErasureOutcome:
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    # Ids whose queued jobs the transport should drop (analyses, sends).
    response_ids: set[str] = field(default_factory=set)
    invitation_ids: set[str] = field(default_factory=set)
    # The person's identifiers, in memory only: for the mail files the shell cleans up.
    identifiers: set[str] = field(default_factory=set)


def normalise(kind: str, value: str) -> str:
    return suppression.normalise_email(value) if kind == "email" else suppression.normalise_external_id(value)


def request_erasure(
    session: Session, *, workspace_id: str, kind: str, value: str, actor_kind: str, actor_id: str | None
) -> ErasureRequest:
    """Record the request, suppress the identifier and defer the job; the caller commits."""
    subject = normalise(kind, value)
    row = ErasureRequest(workspace_id=workspace_id, kind=kind, subject=subject, status="pending", counts={})
    session.add(row)
    session.flush()
    suppression.suppress(session, workspace_id=workspace_id, digests=[suppression.digest(kind, subject)])
    audit.record(
        session,
        workspace_id=workspace_id,
        action="erasure_requested",
        actor_kind=actor_kind,
        actor_id=actor_id,
        request_id=row.id,
    )
    row.enqueued_at = utcnow()
    jobs.defer(session, jobs.ERASE_PERSON, row.id)
    return row


def find_subject(session: Session, *, workspace_id: str, kind: str, value: str) -> Subject:
    """The contacts an identifier names: by e-mail (case and spaces ignored; a contact keyed by
    its address counts too) or by external id."""
    value = normalise(kind, value)
    subject = Subject(kind=kind, value=value, identifiers={value})
    if not value:
        return subject
    if kind == "email":
        if is_postgres(session):
            email = func.lower(func.regexp_replace(Contact.email, r"\s", "", "g"))
            key = func.lower(func.regexp_replace(Contact.external_id, r"\s", "", "g"))
        else:
            email, key = func.lower(func.replace(Contact.email, " ", "")), func.lower(Contact.external_id)
        match = or_(email == value, key == value)
    else:
        match = Contact.external_id == value
    rows = session.execute(
        select(Contact.id, Contact.external_id, Contact.email).where(
            Contact.workspace_id == workspace_id, match
        )
    ).all()
    for contact_id, external_id, email in rows:
        subject.contact_ids.append(contact_id)
        subject.identifiers.add(external_id)
        if email:
            subject.identifiers.update({email, suppression.normalise_email(email)})
    return subject


def _chunks(values: list):
    return chunks(values, ID_CHUNK)


def mention_filter(session: Session, table, columns: tuple[str, ...], needles: set[str], ids: list[str]):
    """A condition true for rows of ``table`` whose free text names the person: an identifier
    (as it appears in JSON text, escapes and all) or one of their rows' ids."""
    conditions = []
    for name in columns:
        text = cast(table.c[name], Text)
        in_json = isinstance(table.c[name].type, JSON)
        for needle in sorted(n for n in needles if n):
            # In JSON, a whole string value (quotes included), so "42" does not hit 1421.
            forms = {json.dumps(needle, ensure_ascii=False)} if in_json else {needle}
            for form in forms:
                conditions.append(text.like(contains_pattern(form), escape="\\"))
        if ids and is_postgres(session):
            conditions.extend(text.op("~")("(" + "|".join(chunk) + ")") for chunk in _chunks(ids))
        elif ids:
            conditions.extend(text.like(f"%{one}%") for one in ids)
    return or_(*conditions) if conditions else None


def _delete_answers(session: Session, contact_ids: list[str], outcome: ErasureOutcome) -> int:
    """Answers go one object at a time, in batches, so the flush listeners subtract each from
    the daily, theme, segment and roadmap rollups in the same transaction."""
    gone = 0
    while True:
        batch = (
            session.execute(select(Response).where(Response.contact_id.in_(contact_ids)).limit(BATCH))
            .unique()
            .scalars()
            .all()
        )
        if not batch:
            return gone
        for response in batch:
            outcome.response_ids.add(response.id)
            session.delete(response)
        session.flush()
        for response in batch:
            session.expunge(response)
        gone += len(batch)


def erase_subject(session: Session, *, workspace_id: str, subject: Subject, outcome: ErasureOutcome) -> None:
    """Delete everything the declarations say belongs to ``subject``; the caller commits."""
    contact_ids = subject.contact_ids
    counts = outcome.counts
    if contact_ids:
        for chunk in _chunks(contact_ids):
            outcome.response_ids.update(
                session.execute(select(Response.id).where(Response.contact_id.in_(chunk))).scalars()
            )
            outcome.invitation_ids.update(
                session.execute(select(Invitation.id).where(Invitation.contact_id.in_(chunk))).scalars()
            )
    ids = sorted({*contact_ids, *outcome.response_ids, *outcome.invitation_ids})
    for decl in registry.declarations():
        table, name = decl.table, decl.table.name
        if decl.orm and decl.contact and contact_ids:
            counts[name] = counts.get(name, 0) + _delete_answers(session, contact_ids, outcome)
            continue
        removed = 0
        if decl.action == "delete" and name == "contacts":
            for chunk in _chunks(contact_ids):
                removed += session.execute(delete(table).where(table.c.id.in_(chunk))).rowcount
        elif decl.action == "delete":
            for column, values in (
                (decl.response, sorted(outcome.response_ids)),
                (decl.contact, contact_ids),
            ):
                if column:
                    for chunk in _chunks(values):
                        removed += session.execute(delete(table).where(table.c[column].in_(chunk))).rowcount
        elif decl.action == "mentions":
            # PostgreSQL matches every id in one scan (a regular expression a chunk); SQLite has
            # no regular expressions and a bounded expression depth, so a statement a chunk.
            if is_postgres(session):
                groups = [(subject.identifiers, ids)]
            else:
                groups = [(subject.identifiers, [])] + [(set(), chunk) for chunk in _chunks(ids)]
            for needles, some_ids in groups:
                condition = mention_filter(session, table, decl.free_text, needles, some_ids)
                if condition is None:
                    continue
                if "workspace_id" in table.c:
                    condition = condition & (table.c.workspace_id == workspace_id)
                removed += session.execute(delete(table).where(condition)).rowcount
        if removed:
            counts[name] = counts.get(name, 0) + removed


def run_erasure(session: Session, *, request_id: str, now: datetime | None = None) -> ErasureOutcome:
    """Carry out one erasure request and commit; a request already done is left alone."""
    now = now or utcnow()
    row = session.execute(
        lock_rows(session, select(ErasureRequest).where(ErasureRequest.id == request_id))
    ).scalar_one_or_none()
    if row is None or row.status == "done":
        session.rollback()
        return ErasureOutcome(status="missing" if row is None else "done")
    row.attempts += 1
    outcome = ErasureOutcome(status="done")
    subject = find_subject(session, workspace_id=row.workspace_id, kind=row.kind, value=row.subject or "")
    erase_subject(session, workspace_id=row.workspace_id, subject=subject, outcome=outcome)
    # Whichever identifier they come back with, they stay uninvited.
    digests = [suppression.digest(row.kind, row.subject or "")]
    for identifier in subject.identifiers:
        digests.append(suppression.digest("external_id", identifier))
        if "@" in identifier:
            digests.append(suppression.digest("email", identifier))
    suppression.suppress(session, workspace_id=row.workspace_id, digests=sorted(set(digests)))
    outbox.emit(
        session,
        workspace_id=row.workspace_id,
        event_type="contact.erased",
        items=[
            {"contact_id": contact_id, "erased_at": rfc3339(now)}
            for contact_id in sorted(subject.contact_ids)
        ],
        now=now,
    )
    outcome.counts["contacts_found"] = len(subject.contact_ids)
    outcome.identifiers = {i for i in subject.identifiers if i}
    row.status, row.subject, row.finished_at = "done", None, now
    row.counts = dict(outcome.counts)
    audit.record(
        session,
        workspace_id=row.workspace_id,
        action="erasure_done",
        actor_kind="system",
        actor_id=None,
        request_id=row.id,
    )
    session.commit()
    return outcome


def forget_mail_files(folder: Path, identifiers: set[str]) -> int:
    """Delete the e-mails written to ``folder`` (the no-SMTP fallback of the mail path) that are
    addressed to or mention the person; returns how many."""
    if not identifiers or not folder.is_dir():
        return 0
    needles = [i.lower().encode() for i in identifiers]
    removed = 0
    for path in folder.glob("*.eml"):
        content = path.read_bytes().lower()
        if any(needle in content for needle in needles):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def sweep(session: Session, now: datetime) -> int:
    """Requests still pending whose job never ran or died: enqueue them again (the tick)."""
    stale = or_(ErasureRequest.enqueued_at.is_(None), ErasureRequest.enqueued_at < now - REQUEUE_AFTER)
    ids = list(
        session.execute(
            select(ErasureRequest.id).where(ErasureRequest.status == "pending", stale).limit(100)
        ).scalars()
    )
    if ids:
        session.execute(
            update(ErasureRequest)
            .where(ErasureRequest.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    for request_id in ids:
        jobs.defer(session, jobs.ERASE_PERSON, request_id)
    return len(ids)
