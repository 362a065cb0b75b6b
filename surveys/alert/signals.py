"""Detractor signals: each answer made final at the unhappy end of its scale (NPS 0-6, CSAT 1-2,
CES 1-3, the answers ``response.detractor`` is sent for) is recorded once, in the transaction
that made it final, when its workspace has an enabled detractor rule.

A detractor rule then counts the signals after its cursor, so an answer is counted exactly once
however often it changes later, and one finalised by the tick long after it was started counts
too. Installed by :mod:`surveys.wiring`: :func:`track_flush` (``after_flush``) and
:func:`on_inserted` (``responses_inserted``). A workspace without detractor rules pays one
indexed query per flush that stores answers. Signals older than :data:`RETENTION` are pruned.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from surveys.alert.models import AlertRule, AlertSignal
from surveys.core.db import upsert_insert, utcnow
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.survey.scales import is_detractor_level

RETENTION = timedelta(days=3)


def _watched(session: Session, workspace_ids: set[str]) -> set[str]:
    rows = session.execute(
        select(AlertRule.workspace_id)
        .where(
            AlertRule.workspace_id.in_(sorted(workspace_ids)),
            AlertRule.kind == "detractor",
            AlertRule.enabled.is_(True),
        )
        .distinct()
    ).scalars()
    return set(rows)


def record(session: Session, rows: list[dict]) -> int:
    """Signals for ``rows`` (``id``, ``workspace_id``, ``survey_id``, ``score``) that are final
    detractor-level answers of watched workspaces; an answer already signalled is skipped."""
    rows = [r for r in rows if r.get("score") is not None and r.get("survey_id")]
    if not rows:
        return 0
    watched = _watched(session, {r["workspace_id"] for r in rows})
    rows = [r for r in rows if r["workspace_id"] in watched]
    if not rows:
        return 0
    kinds = dict(
        session.execute(
            select(Survey.id, Survey.kind).where(Survey.id.in_({r["survey_id"] for r in rows}))
        ).all()
    )
    now = utcnow()
    values = [
        {
            "workspace_id": r["workspace_id"],
            "survey_id": r["survey_id"],
            "response_id": r["id"],
            "created_at": now,
        }
        for r in rows
        if is_detractor_level(kinds.get(r["survey_id"]), r["score"])
    ]
    if values:
        stmt = upsert_insert(session, AlertSignal).on_conflict_do_nothing(index_elements=["response_id"])
        session.connection().execute(stmt, values)
    return len(values)


def _row(obj: Response) -> dict:
    survey_id = obj.survey_id if obj.survey_id is not None else (obj.survey.id if obj.survey else None)
    return {"id": obj.id, "workspace_id": obj.workspace_id, "survey_id": survey_id, "score": obj.score}


def track_flush(session: Session, flush_context) -> None:
    """``after_flush``: answers the flush stored final, or made final."""
    rows = [_row(o) for o in session.new if isinstance(o, Response) and o.completed]
    for obj in session.dirty:
        if isinstance(obj, Response) and obj.completed:
            history = inspect(obj).attrs.completed.history
            if history.deleted and not history.deleted[0]:
                rows.append(_row(obj))
    if rows:
        record(session, rows)


def on_inserted(session: Session, *, rows: list[dict]) -> None:
    """``responses_inserted``: answers stored set-based (API batches, CSV imports)."""
    record(session, [r for r in rows if r.get("completed", True)])


def prune(session: Session, *, now: datetime) -> int:
    return session.execute(delete(AlertSignal).where(AlertSignal.created_at < now - RETENTION)).rowcount
