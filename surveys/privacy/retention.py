"""Retention: answers older than a workspace's ``retention_days`` lose their personal data.

``anonymise`` removes the comment, the event snapshot, the metadata, the sender's id and the
link to the contact, and strips the quoted evidence and noun phrases from the analysis; scores,
the attribute snapshot and the theme tags stay, so every figure is unchanged except the count of
commented answers (and roadmap customer counts, which need a customer). ``delete`` removes the
answers; the flush listeners take them out of every rollup. The tick runs :func:`apply_retention`
in bounded batches, so a large backlog drains over several ticks.
"""

from datetime import datetime, timedelta

from sqlalchemy import Text, cast, func, null, or_, select, update
from sqlalchemy.orm import Session

from surveys.analysis.models import Analysis
from surveys.privacy import audit
from surveys.response.models import Response
from surveys.workspace.models import Workspace

BATCH = 500
# Answers per tick across all workspaces: a tick stays short, a backlog takes a few ticks.
PER_TICK = 2000

HOLDS_PERSONAL = or_(
    Response.contact_id.is_not(None),
    Response.comment.is_not(None),
    # A JSON column's None may be stored as JSON null: both count as empty.
    func.coalesce(cast(Response.event_snapshot, Text), "null") != "null",
    Response.external_id.is_not(None),
)


def _anonymise(session: Session, batch: list[Response]) -> None:
    for response in batch:
        response.comment = None
        response.event_snapshot = null()
        response.meta = {}
        response.external_id = None
        response.edit_token = None
        response.contact_id = None
        response.contact = None
    session.flush()
    ids = [r.id for r in batch]
    # Removing a comment asks for a re-analysis, which would drop the theme tags: the tags carry
    # no words and stay; only the quoted evidence goes.
    session.execute(
        update(Response)
        .where(Response.id.in_(ids))
        .values(analysis_status="done", analysis_enqueued_at=None, analysis_lease_until=None)
        .execution_options(synchronize_session=False)
    )
    for analysis in session.execute(select(Analysis).where(Analysis.response_id.in_(ids))).scalars():
        analysis.themes = [{**hit, "evidence": []} for hit in analysis.themes or []]
        analysis.noun_phrases = []
    session.flush()


def apply_retention(session: Session, *, now: datetime, limit: int = PER_TICK) -> int:
    """Apply each workspace's retention to at most ``limit`` answers; the caller commits."""
    done = 0
    workspaces = session.execute(
        select(Workspace.id, Workspace.retention_days, Workspace.retention_action).where(
            Workspace.retention_days.is_not(None)
        )
    ).all()
    for workspace_id, days, action in workspaces:
        cutoff = now - timedelta(days=days)
        touched = 0
        while done < limit:
            batch = (
                session.execute(
                    select(Response)
                    .where(
                        Response.workspace_id == workspace_id, Response.submitted_at < cutoff, HOLDS_PERSONAL
                    )
                    .order_by(Response.submitted_at)
                    .limit(min(BATCH, limit - done))
                )
                .unique()
                .scalars()
                .all()
            )
            if not batch:
                break
            if action == "delete":
                for response in batch:
                    session.delete(response)
                session.flush()
            else:
                _anonymise(session, batch)
            for response in batch:
                session.expunge(response)
            done += len(batch)
            touched += len(batch)
        if touched:
            audit.record(
                session, workspace_id=workspace_id, action="retention", actor_kind="system", actor_id=None
            )
    return done
