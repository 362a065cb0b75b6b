"""The demo's answers arrive the way real ones do: each comes from a journey event that became an
invitation, was sent, opened and answered; beside them, invitations that were sent and never
opened, opened and left, suppressed (with the rules' reasons), cancelled or failed. So the
dashboard's funnel tells a story in ``make run`` (email surveys are answered by about a third of
those who get them). Deterministic apart from link tokens.
"""

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from surveys.core.db import new_id
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.response.models import Response

# Per answered invitation of a touchpoint, on average: how many others ended each way.
OTHERS = (
    ("unopened", 1.1),
    ("opened", 0.35),
    ("suppressed", 0.3),
    ("failed", 0.03),
)
SUPPRESSION_REASONS = (
    ("recently_contacted", 6),
    ("sampled_out", 2),
    ("conditions_not_met", 2),
    ("unsubscribed", 1),
)


def seed_funnel(
    session: Session, *, workspace, touchpoints, contacts, answers: list[Response], now: datetime
) -> None:
    """Give every answer in ``answers`` (not yet flushed) its event and invitation, and add the
    invitations that did not end in an answer; answers' ``touchpoint_id`` says where each came from."""
    rng = random.Random(12)
    by_id = {t.id: t for t in touchpoints}
    counter = 0

    def invite(touchpoint, contact_id: str, at: datetime, status: str, **extra) -> Invitation:
        nonlocal counter
        counter += 1
        event = Event(
            id=new_id("evt"),
            workspace_id=workspace.id,
            external_id=f"demo-{touchpoint.event}-{counter:05d}",
            name=touchpoint.event,
            occurred_at=at,
            received_at=at,
            contact_id=contact_id,
            properties={},
        )
        invitation = Invitation(
            id=new_id("inv"),
            workspace_id=workspace.id,
            contact_id=contact_id,
            survey_id=touchpoint.survey_id,
            touchpoint_id=touchpoint.id,
            event_id=event.id,
            token=secrets.token_urlsafe(24),
            channel=touchpoint.channel,
            status=status,
            scheduled_for=at + timedelta(seconds=touchpoint.delay_seconds or 0),
            expires_at=at + timedelta(days=touchpoint.expires_after_days or 14),
            created_at=at,
            **extra,
        )
        session.add_all([event, invitation])
        return invitation

    answered = {t.id: 0 for t in touchpoints}
    for answer in answers:
        touchpoint = by_id[answer.touchpoint_id]
        answered[touchpoint.id] += 1
        asked = answer.submitted_at - timedelta(hours=rng.uniform(2, 72))
        sent = asked + timedelta(seconds=touchpoint.delay_seconds or 0, minutes=1)
        invitation = invite(
            touchpoint,
            answer.contact_id,
            asked,
            "responded",
            sent_at=sent,
            opened_at=answer.submitted_at - timedelta(minutes=rng.uniform(1, 5)),
            responded_at=answer.submitted_at,
        )
        answer.invitation_id = invitation.id

    for touchpoint in touchpoints:
        for outcome, per_answer in OTHERS:
            for _ in range(round(answered[touchpoint.id] * per_answer)):
                contact = rng.choice(contacts)
                asked = now - timedelta(days=rng.uniform(0, 180))
                sent = asked + timedelta(seconds=touchpoint.delay_seconds or 0, minutes=1)
                expired = asked + timedelta(days=touchpoint.expires_after_days or 14) <= now
                if outcome == "suppressed":
                    reason = rng.choices(*zip(*SUPPRESSION_REASONS, strict=True))[0]
                    invite(touchpoint, contact.id, asked, "suppressed", reason=reason)
                elif outcome == "failed" and touchpoint.channel != "link":  # links are not sent
                    invite(
                        touchpoint, contact.id, asked, "failed", reason="send_failed:SMTPRecipientsRefused"
                    )
                elif touchpoint.cancel_on and rng.random() < 0.1:
                    reason = f"cancelled_by:{touchpoint.cancel_on[0]}"
                    invite(touchpoint, contact.id, asked, "cancelled", reason=reason)
                else:
                    opened = sent + timedelta(hours=rng.uniform(0.1, 30)) if outcome == "opened" else None
                    invite(
                        touchpoint,
                        contact.id,
                        asked,
                        "expired" if expired else "sent",
                        sent_at=sent,
                        opened_at=opened,
                    )
