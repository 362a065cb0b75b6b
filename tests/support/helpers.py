"""Small builders shared by the tests: most go through the public HTTP API; ``make_invitation``
builds the rows dispatch would have left behind."""

import itertools
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.survey.models import Survey, Touchpoint

_counter = itertools.count(1)


def create_survey(client, headers, **overrides) -> dict:
    body = {
        "name": "Relationship NPS",
        "kind": "nps",
        "question": "How likely are you to recommend Acme to a friend?",
        "comment_prompt": "What is the main reason for your score?",
        **overrides,
    }
    response = client.post("/api/v1/surveys", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def create_touchpoint(client, headers, survey_id: str, **overrides) -> dict:
    body = {
        "name": "After delivery",
        "event": "order.delivered",
        "survey_id": survey_id,
        "channel": "link",
        **overrides,
    }
    response = client.post("/api/v1/touchpoints", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def event(name: str = "order.delivered", contact: str = "cust-1", **overrides) -> dict:
    body = {
        "id": f"evt-{next(_counter)}-{time.monotonic_ns()}",
        "name": name,
        "occurred_at": datetime.now(UTC).isoformat(),
        "contact": {
            "external_id": contact,
            "email": f"{contact}@example.com",
            "attributes": {"plan": "pro", "arr": 12000},
        },
        "properties": {"order_id": "o-1"},
    }
    body.update(overrides)
    return body


def signed(
    secret: str, payload, *, msg_id: str | None = None, at: datetime | None = None
) -> tuple[bytes, dict]:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    msg_id = msg_id or f"msg_{next(_counter)}_{time.monotonic_ns()}"
    at = at or datetime.now(UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, raw),
        "content-type": "application/json",
    }
    return raw.encode(), headers


def table_count(db_session, model) -> int:
    from sqlalchemy import func, select

    return db_session.execute(select(func.count()).select_from(model)).scalar_one()


def tick(app, now=None) -> dict:
    """Run ``vocservice tick`` once in its own app context, jobs enqueued after its commit."""
    from surveys.core.db import db
    from surveys.tick import run_tick

    with app.app_context():
        counts = run_tick(db.session, now=now).counts
        db.session.remove()
    return counts


def make_invitation(
    session,
    workspace_id: str,
    *,
    kind: str = "nps",
    status: str = "sent",
    expires_in: timedelta = timedelta(days=7),
    locale: str | None = None,
    translations: dict | None = None,
    email: str | None = "ann@example.com",
    name: str | None = "Ann",
    external_id: str | None = None,
    survey_status: str = "active",
    contact: Contact | None = None,
) -> Invitation:
    """An invitation with its survey, touchpoint, contact and triggering event, as dispatch
    would have left it after sending."""
    now = utcnow()
    if contact is None:
        contact = Contact(
            workspace_id=workspace_id,
            external_id=external_id or f"c-{secrets.token_hex(4)}",
            email=email,
            name=name,
            locale=locale,
            attributes={"plan": "pro", "arr": 12000},
        )
        session.add(contact)
    survey = Survey(
        workspace_id=workspace_id,
        name="Rel",
        kind=kind,
        status=survey_status,
        question="How likely are you to recommend Acme?",
        comment_prompt="What is the main reason for your score?",
        locale="en",
        translations=translations or {},
    )
    session.add(survey)
    session.flush()
    touchpoint = Touchpoint(
        workspace_id=workspace_id,
        survey_id=survey.id,
        name="After delivery",
        event="order.delivered",
        channel="email",
    )
    event = Event(
        workspace_id=workspace_id,
        external_id=f"evt-{secrets.token_hex(4)}",
        name="order.delivered",
        occurred_at=now - timedelta(hours=1),
        contact_id=contact.id,
        properties={"order_id": "o-1"},
    )
    session.add_all([touchpoint, event])
    session.flush()
    invitation = Invitation(
        workspace_id=workspace_id,
        contact_id=contact.id,
        survey_id=survey.id,
        touchpoint_id=touchpoint.id,
        event_id=event.id,
        token=secrets.token_urlsafe(24),
        channel="email",
        status=status,
        scheduled_for=now - timedelta(minutes=5),
        sent_at=now,
        expires_at=now + expires_in,
    )
    session.add(invitation)
    session.commit()
    return invitation


WIDGET_ORIGIN = "https://shop.example"


def widget_survey(db_session, workspace_id: str, origin: str = WIDGET_ORIGIN) -> str:
    """An active NPS survey (with a French translation) answerable by the widget from ``origin``."""
    from surveys.workspace.models import Workspace

    ws = db_session.get(Workspace, workspace_id)
    ws.allowed_origins = [origin]
    survey = Survey(
        workspace_id=ws.id,
        name="Widget",
        kind="nps",
        question="Recommend us?",
        comment_prompt="Why?",
        translations={"fr": {"question": "Nous recommander ?"}},
    )
    db_session.add(survey)
    db_session.commit()
    return survey.id


def python_process(code: str, *args: str) -> str:
    """Run ``code`` in a new Python process from the repository root (its own ``create_app``,
    caches and hooks: the domain hooks register once per process); assert it succeeded and
    return what it printed."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "VOC_LOG_FORMAT": "text"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
