"""Journey events: stored once per sender id, they upsert the contact, cancel pending
invitations named in ``cancel_on`` and schedule (or record the suppression of) invitations for
every matching touchpoint, all in the caller's transaction.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys import rules
from surveys.base import utcnow
from surveys.contacts import upsert_contact
from surveys.models import Event, Invitation, Survey, Touchpoint, Workspace

PENDING = ("scheduled",)


@dataclass
class EventResult:
    event: Event
    duplicate: bool
    invitations: list[Invitation] = field(default_factory=list)
    cancelled: int = 0


def find_result(session: Session, workspace_id: str, external_id: str) -> EventResult | None:
    event = session.execute(
        select(Event).where(Event.workspace_id == workspace_id, Event.external_id == external_id)
    ).scalar_one_or_none()
    if event is None:
        return None
    invitations = session.execute(
        select(Invitation).where(Invitation.event_id == event.id).order_by(Invitation.id)
    ).scalars().all()
    return EventResult(event=event, duplicate=True, invitations=list(invitations))


def ingest_event(session: Session, *, workspace: Workspace, data: dict,
                 now: datetime | None = None) -> EventResult:
    """Record one journey event. The same sender id again returns the first result, unchanged."""
    now = now or utcnow()
    external_id = str(data["id"])
    found = find_result(session, workspace.id, external_id)
    if found:
        return found
    savepoint = session.begin_nested()
    try:
        contact = upsert_contact(session, workspace_id=workspace.id, data=data["contact"], lock=True)
        event = Event(
            workspace_id=workspace.id,
            external_id=external_id,
            name=data["name"],
            occurred_at=data.get("occurred_at") or now,
            contact_id=contact.id,
            properties=data.get("properties") or {},
        )
        session.add(event)
        session.flush()
    except IntegrityError:
        # The same id arrived concurrently and the other request won: answer as a duplicate.
        savepoint.rollback()
        found = find_result(session, workspace.id, external_id)
        if found is None:
            raise
        return found
    savepoint.commit()

    result = EventResult(event=event, duplicate=False)
    result.cancelled = _cancel_pending(session, workspace=workspace, event=event)
    touchpoints = session.execute(
        select(Touchpoint)
        .join(Survey, Survey.id == Touchpoint.survey_id)
        .where(
            Touchpoint.workspace_id == workspace.id,
            Touchpoint.event == event.name,
            Touchpoint.active.is_(True),
            Survey.status == "active",
        )
        .order_by(Touchpoint.id)
    ).scalars().all()
    context = {
        "contact": {
            "external_id": contact.external_id, "email": contact.email,
            "locale": contact.locale, "attributes": contact.attributes or {},
        },
        "event": {"name": event.name, "properties": event.properties or {}},
    }
    for touchpoint in touchpoints:
        result.invitations.append(
            _invite(session, workspace=workspace, touchpoint=touchpoint, contact=contact,
                    event=event, context=context, now=now)
        )
    return result


def _invite(session, *, workspace, touchpoint, contact, event, context, now) -> Invitation:
    scheduled_for = max(now, event.occurred_at + timedelta(seconds=touchpoint.delay_seconds))
    reason = rules.suppression_reason(
        session, touchpoint=touchpoint, contact=contact, context=context,
        event_key=event.external_id, workspace_recontact_days=workspace.recontact_days,
        at=scheduled_for,
    )
    invitation = Invitation(
        workspace_id=workspace.id,
        contact_id=contact.id,
        survey_id=touchpoint.survey_id,
        touchpoint_id=touchpoint.id,
        event_id=event.id,
        token=secrets.token_urlsafe(24),
        channel=touchpoint.channel,
        status="suppressed" if reason else "scheduled",
        reason=reason,
        scheduled_for=scheduled_for,
        expires_at=scheduled_for + timedelta(days=touchpoint.expires_after_days),
    )
    session.add(invitation)
    # Flush so the next touchpoint's fatigue check sees this invitation.
    session.flush()
    return invitation


def _cancel_pending(session: Session, *, workspace: Workspace, event: Event) -> int:
    touchpoint_ids = [
        tp.id
        for tp in session.execute(
            select(Touchpoint).where(Touchpoint.workspace_id == workspace.id)
        ).scalars()
        if event.name in (tp.cancel_on or [])
    ]
    if not touchpoint_ids:
        return 0
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.contact_id == event.contact_id,
            Invitation.touchpoint_id.in_(touchpoint_ids),
            Invitation.status.in_(PENDING),
        )
        .values(status="cancelled", reason=f"cancelled_by:{event.name}")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
