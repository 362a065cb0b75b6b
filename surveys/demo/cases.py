"""The demo's cases: the default rule opened one on every detractor-level answer as they were
stored; here they get the history a team working them would have left: older cases mostly
contacted and resolved (some within the 48-hour SLA, some late), a few closed without action or
still overdue, the newest still open, half of them owned by the demo user, with notes."""

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.case.models import Case, CaseNote
from surveys.core.db import utcnow
from surveys.response.models import Response

NOTES = (
    "Called them: the Salesforce sync had failed twice; engineering has the logs.",
    "Emailed an apology and a workaround; they will try it this week.",
    "Walked them through the new export settings on a call.",
    "Offered a discount at renewal; they were happier after the call.",
)
RESOLUTIONS = ("Fixed on a call", "Workaround given", "Refund issued", "Explained the pricing change")


def seed_cases(session: Session, *, workspace_id: str, owner_id: str) -> int:
    """Give the workspace's freshly opened cases a worked history; returns how many there are."""
    rng = random.Random(7)
    now = utcnow()
    rows = session.execute(
        select(Case, Response.submitted_at)
        .join(Response, Response.id == Case.response_id)
        .where(Case.workspace_id == workspace_id)
        .order_by(Case.id)
    ).all()
    for case, submitted_at in rows:
        case.created_at = submitted_at
        case.due_at = submitted_at + timedelta(hours=48)
        case.assignment_notice_pending = False
        case.owner_id = owner_id if rng.random() < 0.5 else None
        if now - submitted_at < timedelta(days=2):
            continue  # new: still open and inside its SLA
        case.overdue_notified_at = case.due_at  # reported back then, not again today
        roll = rng.random()
        if roll < 0.1:
            continue  # nobody got to it: open and overdue
        if roll < 0.2:
            case.status, case.closed_at = "closed_no_action", case.due_at
            case.resolution = "Customer asked not to be contacted"
            continue
        contacted = submitted_at + timedelta(hours=rng.choice((2, 5, 9, 20, 30, 44, 60, 90)))
        case.first_contacted_at = case.closed_at = contacted
        case.status, case.resolution = "resolved", rng.choice(RESOLUTIONS)
        if roll > 0.85:
            case.status, case.closed_at, case.resolution = "contacted", None, None
        session.add(
            CaseNote(
                case_id=case.id,
                author="pm@demo.vocservice.local",
                body=rng.choice(NOTES),
                created_at=contacted,
            )
        )
    session.flush()
    return len(rows)
