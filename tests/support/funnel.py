"""A touchpoint of a survey with its journey events and invitations at every stage of the
funnel (for the dashboard tests): 6 events, 1 suppressed, 5 sent, 3 opened, 2 answered, 1 failed."""

import secrets
from datetime import timedelta

from surveys.contact.models import Contact
from surveys.core.db import db, utcnow
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.survey.models import Touchpoint

LONG_EVENT = "subscription.renewed." + "x" * 120  # a long word, to catch overflowing layouts


def seed_funnel(app, workspace_id: str, survey_id: str, *, name: str = "After renewal") -> str:
    now = utcnow()
    with app.app_context():
        touchpoint = Touchpoint(
            workspace_id=workspace_id, survey_id=survey_id, name=name, event=LONG_EVENT, channel="email"
        )
        db.session.add(touchpoint)
        # (status, reason, sent, opened, answered) per event
        plan = [
            ("suppressed", "recently_contacted", False, False, False),
            ("failed", "send_failed:SMTPRecipientsRefused", False, False, False),
            ("sent", None, True, False, False),
            ("sent", None, True, True, False),
            ("responded", None, True, True, True),
            ("responded", None, True, True, True),
        ]
        for n, (status, reason, sent, opened, answered) in enumerate(plan):
            contact = Contact(workspace_id=workspace_id, external_id=f"funnel-{n}", email=f"f{n}@example.com")
            db.session.add(contact)
            db.session.flush()
            event = Event(
                workspace_id=workspace_id,
                external_id=f"funnel-evt-{n}",
                name=LONG_EVENT,
                occurred_at=now - timedelta(hours=2),
                contact_id=contact.id,
            )
            db.session.add(event)
            db.session.flush()
            db.session.add(
                Invitation(
                    workspace_id=workspace_id,
                    contact_id=contact.id,
                    survey_id=survey_id,
                    touchpoint_id=touchpoint.id,
                    event_id=event.id,
                    token=secrets.token_urlsafe(24),
                    channel="email",
                    status=status,
                    reason=reason,
                    scheduled_for=now - timedelta(hours=1),
                    expires_at=now + timedelta(days=7),
                    sent_at=now - timedelta(hours=1) if sent else None,
                    opened_at=now - timedelta(minutes=30) if opened else None,
                    responded_at=now - timedelta(minutes=20) if answered else None,
                )
            )
        db.session.commit()
        touchpoint_id = touchpoint.id
        db.session.remove()
    return touchpoint_id
