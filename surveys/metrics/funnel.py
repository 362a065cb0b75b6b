"""The invitation funnel per touchpoint: journey events -> invitations scheduled -> sent ->
opened -> answered, with where the others went (suppressed, cancelled, failed by reason; expired).

Each stage counts the invitations that got at least that far, so the funnel never widens: an
invitation answered counts as opened and sent too (a link invitation answered before the tick
marked it sent, or one answered before opens were recorded). "Opened" means a person had the
hosted form in front of them (the page's script ran or they pressed a button), never a plain GET
by a mail scanner. Events are counted by arrival time and invitations by creation time, both in
``[start, end)``.
"""

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.survey.models import Touchpoint

STAGES = ("events", "scheduled", "sent", "opened", "answered")
# Where invitations that did not go on ended up; reasons are counted for the first three.
LOST = ("suppressed", "cancelled", "failed", "expired")


def _in_range(column, start: datetime | None, end: datetime | None) -> list:
    clauses = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def funnel(
    session: Session,
    *,
    workspace_id: str,
    survey_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict]:
    """One row per touchpoint (of ``survey_id`` if given), by name: the stage counts, each
    stage's share of the one before (``rates``), and the lost invitations by outcome and reason."""
    query = select(Touchpoint).where(Touchpoint.workspace_id == workspace_id).order_by(Touchpoint.name)
    if survey_id is not None:
        query = query.where(Touchpoint.survey_id == survey_id)
    touchpoints = list(session.execute(query).scalars())
    if not touchpoints:
        return []
    ids = [t.id for t in touchpoints]

    events = dict(
        session.execute(
            select(Touchpoint.id, func.count(Event.id))
            .join(Event, and_(Event.workspace_id == Touchpoint.workspace_id, Event.name == Touchpoint.event))
            .where(Touchpoint.id.in_(ids), *_in_range(Event.received_at, start, end))
            .group_by(Touchpoint.id)
        ).all()
    )
    answered = Invitation.responded_at.is_not(None)
    opened = or_(Invitation.opened_at.is_not(None), answered)
    sent = or_(Invitation.sent_at.is_not(None), opened)
    rows = session.execute(
        select(
            Invitation.touchpoint_id,
            Invitation.status,
            Invitation.reason,
            func.count(),
            _count_if(sent),
            _count_if(opened),
            _count_if(answered),
        )
        .where(
            Invitation.workspace_id == workspace_id,
            Invitation.touchpoint_id.in_(ids),
            *_in_range(Invitation.created_at, start, end),
        )
        .group_by(Invitation.touchpoint_id, Invitation.status, Invitation.reason)
    ).all()

    result = {
        t.id: {
            "touchpoint_id": t.id,
            "name": t.name,
            "event": t.event,
            "channel": t.channel,
            "stages": {"events": events.get(t.id, 0), "scheduled": 0, "sent": 0, "opened": 0, "answered": 0},
            "lost": {outcome: 0 for outcome in LOST},
            "reasons": {outcome: {} for outcome in LOST[:3]},
        }
        for t in touchpoints
    }
    for touchpoint_id, status, reason, count, n_sent, n_opened, n_answered in rows:
        row = result[touchpoint_id]
        stages = row["stages"]
        if status != "suppressed":
            stages["scheduled"] += count
        stages["sent"] += int(n_sent)
        stages["opened"] += int(n_opened)
        stages["answered"] += int(n_answered)
        if status in LOST:
            row["lost"][status] += count
            if status in row["reasons"]:
                key = reason or "unknown"
                row["reasons"][status][key] = row["reasons"][status].get(key, 0) + count
    for row in result.values():
        stages = row["stages"]
        row["rates"] = {
            later: (round(stages[later] / stages[earlier], 4) if stages[earlier] else None)
            for earlier, later in zip(STAGES, STAGES[1:], strict=False)
        }
        row["response_rate"] = round(stages["answered"] / stages["sent"], 4) if stages["sent"] else None
        row["empty"] = not any(stages.values())
    return [result[t.id] for t in touchpoints]
