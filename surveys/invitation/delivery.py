"""Delivering invitations and reminders through their channel (email, link, webhook).

The invitation row is the outbox: a job claims it under a row lock, marks it ``sending`` and
commits before talking to the outside world, then records the outcome. A failed delivery is
rescheduled with backoff on the row itself; a worker that dies mid-send leaves ``sending``
behind, which the sweeper turns back into ``scheduled`` (at-least-once, with a stable
Message-ID / webhook-id so receivers can drop the rare duplicate).
"""

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.core.db import lock_rows, rfc3339, utcnow
from surveys.invitation import mail
from surveys.invitation import webhook as outbound
from surveys.invitation.models import Invitation
from surveys.invitation.settings import DeliverySettings, Links
from surveys.webhook import outbox
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import valid_secrets

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (60, 300, 1800, 7200)


def _claim(session: Session, invitation_id: str) -> Invitation | None:
    query = lock_rows(
        session, select(Invitation).where(Invitation.id == invitation_id), of=Invitation, skip_locked=True
    )
    return session.execute(query).unique().scalar_one_or_none()


def _webhook_payload(invitation: Invitation, kind: str, links: Links) -> dict:
    contact, survey = invitation.contact, invitation.survey
    return {
        "type": kind,
        "timestamp": rfc3339(utcnow()),
        "data": {
            "invitation_id": invitation.id,
            "url": links.survey_url(invitation.token),
            "expires_at": rfc3339(invitation.expires_at),
            "survey": {"id": survey.id, "kind": survey.kind, "question": survey.question},
            "contact": {
                "external_id": contact.external_id,
                "email": contact.email,
                "name": contact.name,
                "locale": contact.locale,
            },
        },
    }


def _event_data(invitation: Invitation) -> dict:
    """The ``data`` of ``invitation.sent`` / ``invitation.failed`` webhook events."""
    contact = invitation.contact
    return {
        "invitation": {
            "id": invitation.id,
            "survey_id": invitation.survey_id,
            "touchpoint_id": invitation.touchpoint_id,
            "channel": invitation.channel,
            "status": invitation.status,
            "sent_at": rfc3339(invitation.sent_at),
            "error": invitation.last_error,
            "contact": {
                "id": contact.id,
                "external_id": contact.external_id,
                "email": contact.email,
                "name": contact.name,
            },
        }
    }


def _deliver(session: Session, invitation: Invitation, *, reminder: bool, settings: DeliverySettings) -> None:
    if invitation.channel == "email":
        message = mail.render_invitation(invitation, links=settings.links, reminder=reminder)
        mail.send_message(
            message, smtp_url=settings.smtp_url, mail_from=settings.mail_from, outbox_dir=settings.outbox_dir
        )
    elif invitation.channel == "webhook":
        workspace = session.get(Workspace, invitation.workspace_id)
        kind = "invitation.reminder" if reminder else "invitation.due"
        outbound.post_signed(
            invitation.touchpoint.webhook_url,
            # Never the inbound secret: a receiver could forge inbound events with it.
            secret=valid_secrets(workspace, "outbound"),
            message_id=f"{invitation.id}{'-r' if reminder else ''}",
            payload=_webhook_payload(invitation, kind, settings.links),
            allow_private=settings.allow_private_webhooks,
        )
    # "link": the caller got the URL in the API answer and delivers it; nothing to send.


def deliver_invitation(session: Session, *, invitation_id: str, settings: DeliverySettings) -> str:
    now = utcnow()
    invitation = _claim(session, invitation_id)
    if invitation is None:
        session.rollback()
        return "locked-or-missing"
    if invitation.status != "scheduled" or invitation.scheduled_for > now:
        session.rollback()
        return f"skipped:{invitation.status}"
    if invitation.expires_at <= now:
        invitation.status = "expired"
        session.commit()
        return "expired"
    if invitation.contact.unsubscribed_at is not None:
        invitation.status, invitation.reason = "suppressed", "unsubscribed"
        session.commit()
        return "suppressed"
    invitation.status = "sending"
    invitation.attempts += 1
    invitation.enqueued_at = now
    session.commit()  # the claim is durable before we talk to the outside world

    try:
        _deliver(session, invitation, reminder=False, settings=settings)
    except Exception as exc:  # noqa: BLE001 - any failure reschedules the row
        session.rollback()
        invitation = session.get(Invitation, invitation_id)
        invitation.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        invitation.enqueued_at = None
        if invitation.attempts >= MAX_ATTEMPTS:
            invitation.status = "failed"
            # The kind of failure, short and stable enough to count by (the funnel's reasons).
            invitation.reason = f"send_failed:{type(exc).__name__}"[:64]
            outbox.emit(
                session,
                workspace_id=invitation.workspace_id,
                event_type="invitation.failed",
                items=[_event_data(invitation)],
            )
        else:
            invitation.status = "scheduled"
            delay = BACKOFF[min(invitation.attempts - 1, len(BACKOFF) - 1)]
            invitation.scheduled_for = utcnow() + timedelta(seconds=delay)
        session.commit()
        log.warning(
            "invitation %s delivery failed (%s): %s", invitation_id, invitation.status, invitation.last_error
        )
        return f"retry:{invitation.status}"

    invitation.status = "sent"
    invitation.sent_at = utcnow()
    invitation.enqueued_at = None
    invitation.last_error = None
    touchpoint = invitation.touchpoint
    if touchpoint and touchpoint.reminder_after_days and invitation.channel != "link":
        invitation.reminder_due_at = invitation.sent_at + timedelta(days=touchpoint.reminder_after_days)
    outbox.emit(
        session,
        workspace_id=invitation.workspace_id,
        event_type="invitation.sent",
        items=[_event_data(invitation)],
    )
    session.commit()
    return "sent"


def deliver_reminder(session: Session, *, invitation_id: str, settings: DeliverySettings) -> str:
    now = utcnow()
    invitation = _claim(session, invitation_id)
    if invitation is None:
        session.rollback()
        return "locked-or-missing"
    due = invitation.reminder_due_at is not None and invitation.reminder_due_at <= now
    if invitation.status != "sent" or invitation.reminded_at is not None or not due:
        session.rollback()
        return "skipped"
    if invitation.expires_at <= now or invitation.contact.unsubscribed_at is not None:
        invitation.reminder_due_at = None
        session.commit()
        return "skipped"
    # Claim first: a crash after this point loses one reminder rather than sending two.
    invitation.reminded_at = now
    invitation.enqueued_at = None
    session.commit()
    try:
        _deliver(session, invitation, reminder=True, settings=settings)
    except Exception as exc:  # noqa: BLE001
        session.rollback()
        invitation = session.get(Invitation, invitation_id)
        invitation.reminded_at = None
        invitation.reminder_due_at = utcnow() + timedelta(seconds=BACKOFF[1])
        invitation.last_error = f"reminder: {type(exc).__name__}: {exc}"[:2000]
        session.commit()
        return "retry"
    return "reminded"
