"""Who to ask: deterministic sampling and fatigue (recontact) rules for one event's touchpoints.

Each check answers with a suppression reason or None, so every decision not to ask is recorded
with its cause on the invitation row.
"""

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.conditions import conditions_match
from surveys.invitation.models import Invitation
from surveys.survey.models import Touchpoint

# Invitations that count towards fatigue: everything that was or will be put in front of the
# customer. Suppressed, cancelled and failed ones never reached them.
COUNTED_STATUSES = ("scheduled", "sending", "sent", "responded", "expired")


def sampled_in(touchpoint_id: str, event_key: str, rate: float) -> bool:
    """Deterministic per (touchpoint, event): a retried event gets the same answer."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{touchpoint_id}:{event_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def recent_invitations(
    session: Session, *, contact_ids: list[str], since: datetime
) -> dict[str, list[datetime]]:
    """When each contact was (or will be) asked, for invitations that count towards fatigue."""
    recent: dict[str, list[datetime]] = defaultdict(list)
    if not contact_ids:
        return recent
    for contact_id, at in session.execute(
        select(Invitation.contact_id, Invitation.scheduled_for).where(
            Invitation.contact_id.in_(contact_ids),
            Invitation.status.in_(COUNTED_STATUSES),
            Invitation.scheduled_for > since,
        )
    ):
        recent[contact_id].append(at)
    return recent


def fatigued(recent: list[datetime], *, window_days: int, at: datetime) -> bool:
    """True when any counted invitation of any survey lies within ``window_days`` of ``at``."""
    if window_days <= 0:
        return False
    window = timedelta(days=window_days)
    return any(at - window < other < at + window for other in recent)


def suppression_reason(
    *,
    touchpoint: Touchpoint,
    contact: Contact,
    context: dict,
    event_key: str,
    workspace_recontact_days: int,
    recent: list[datetime],
    at: datetime,
) -> str | None:
    if not conditions_match(touchpoint.conditions or [], context):
        return "conditions_not_met"
    if contact.unsubscribed_at is not None:
        return "unsubscribed"
    if touchpoint.channel == "email" and not contact.email:
        return "no_email"
    if not sampled_in(touchpoint.id, event_key, touchpoint.sample_rate):
        return "sampled_out"
    window = touchpoint.recontact_days
    if window is None:
        window = workspace_recontact_days
    if fatigued(recent, window_days=window, at=at):
        return "recently_contacted"
    return None
