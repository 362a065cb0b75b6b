"""Webhook events of answers, written to the outbox in the transaction that stores them:

- ``response.created`` when an answer is stored (partial ones too: a one-click score);
- ``response.completed`` when it is final (submitted, imported, or finalised by the tick);
- ``response.detractor`` with it when the score is at the unhappy end of its scale.

Answers written through the ORM are seen by :func:`track_flush` (an ``after_flush`` listener,
installed by :mod:`surveys.wiring`), answers inserted set-based by :func:`on_inserted` (the
``responses_inserted`` hook). With no endpoint subscribed, both cost one indexed query.
"""

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.db import rfc3339
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.survey.scales import category, is_detractor_level
from surveys.webhook import outbox

COLUMNS = (
    "id",
    "workspace_id",
    "survey_id",
    "contact_id",
    "score",
    "comment",
    "completed",
    "source",
    "submitted_at",
    "touchpoint_id",
    "invitation_id",
    "attributes",
)


def response_data(session: Session, rows: list[dict]) -> dict[str, dict]:
    """response id -> the ``response`` object of the payloads, for rows of Response columns."""
    survey_ids = {row["survey_id"] for row in rows}
    contact_ids = {row["contact_id"] for row in rows if row.get("contact_id")}
    kinds = dict(session.execute(select(Survey.id, Survey.kind).where(Survey.id.in_(survey_ids))).all())
    contacts = {}
    if contact_ids:
        query = select(Contact.id, Contact.external_id, Contact.email, Contact.name).where(
            Contact.id.in_(contact_ids)
        )
        contacts = {
            c.id: {"id": c.id, "external_id": c.external_id, "email": c.email, "name": c.name}
            for c in session.execute(query)
        }
    found = {}
    for row in rows:
        kind = kinds.get(row["survey_id"])
        found[row["id"]] = {
            "id": row["id"],
            "survey_id": row["survey_id"],
            "survey_kind": kind,
            "score": row.get("score"),
            "category": category(kind, row.get("score")) if kind else None,
            "comment": row.get("comment"),
            "completed": bool(row.get("completed", True)),
            "source": row.get("source"),
            "submitted_at": rfc3339(row.get("submitted_at")),
            "touchpoint_id": row.get("touchpoint_id"),
            "invitation_id": row.get("invitation_id"),
            "contact": contacts.get(row.get("contact_id")),
            "attributes": row.get("attributes") or {},
        }
    return found


def emit_answers(session: Session, *, workspace_id: str, created: list[dict], completed: list[dict]) -> None:
    """Queue the events of answers stored (``created``) and made final (``completed``), rows of
    Response columns, all of one workspace."""
    subscribed = outbox.subscriptions(session, workspace_id)
    wanted = {t: subscribed.get(t) for t in ("response.created", "response.completed", "response.detractor")}
    if not any(wanted.values()):
        return
    data = response_data(session, list({row["id"]: row for row in created + completed}.values()))
    detractors = [
        row for row in completed if is_detractor_level(data[row["id"]]["survey_kind"], row.get("score"))
    ]
    outbox.emit_many(
        session,
        workspace_id=workspace_id,
        batches=[
            (event_type, [{"response": data[row["id"]]} for row in rows], wanted[event_type])
            for event_type, rows in (
                ("response.created", created),
                ("response.completed", completed),
                ("response.detractor", detractors),
            )
            if wanted[event_type] and rows
        ],
    )


def _row(response: Response) -> dict:
    return {name: getattr(response, name) for name in COLUMNS}


def track_flush(session: Session, flush_context) -> None:
    """``after_flush``: events of answers the flush inserted or completed (the session still
    shows what the flush did: new objects, and the history of ``completed``)."""
    by_workspace: dict[str, tuple[list, list]] = {}
    for obj in session.new:
        if isinstance(obj, Response):
            created, completed = by_workspace.setdefault(obj.workspace_id, ([], []))
            row = _row(obj)
            created.append(row)
            if obj.completed:
                completed.append(row)
    for obj in session.dirty:
        if isinstance(obj, Response) and obj.completed:
            history = inspect(obj).attrs.completed.history
            if history.deleted and not history.deleted[0]:
                by_workspace.setdefault(obj.workspace_id, ([], []))[1].append(_row(obj))
    for workspace_id, (created, completed) in by_workspace.items():
        emit_answers(session, workspace_id=workspace_id, created=created, completed=completed)


def on_inserted(session: Session, *, rows: list[dict]) -> None:
    """``responses_inserted``: answers stored set-based (API batches, CSV imports)."""
    by_workspace: dict[str, list[dict]] = {}
    for row in rows:
        by_workspace.setdefault(row["workspace_id"], []).append(row)
    for workspace_id, found in by_workspace.items():
        emit_answers(
            session,
            workspace_id=workspace_id,
            created=found,
            completed=[r for r in found if r.get("completed", True)],
        )
