"""Inbound secret rotation: after a rotation both signed endpoints (events, roadmap) accept the new
secret and, while the overlap window lasts, the previous one; never the outbound or widget one."""

import base64
from datetime import timedelta

import pytest

from surveys.core.db import db, utcnow
from surveys.core.ledgers import WebhookReceipt
from surveys.event.models import Event
from surveys.roadmap.models import RoadmapItem
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import rotate_secret
from tests.support.helpers import event, signed, table_count

EVENTS, ROADMAP = "/webhooks/acme/events", "/webhooks/acme/roadmap"


def _rotate(app, workspace_id: str, **kwargs) -> str:
    with app.app_context():
        rotation = rotate_secret(
            db.session, workspace=db.session.get(Workspace, workspace_id), kind="inbound", **kwargs
        )
        db.session.commit()
        db.session.remove()
    return rotation.secret


def _end_overlap(app, workspace_id: str) -> None:
    with app.app_context():
        db.session.get(Workspace, workspace_id).webhook_secret_previous_expires_at = utcnow() - timedelta(
            seconds=1
        )
        db.session.commit()
        db.session.remove()


def _roadmap(ref: str) -> dict:
    return {"external_ref": ref, "title": f"Item {ref}"}


@pytest.mark.parametrize(
    ("url", "body", "ok", "model"),
    [
        (EVENTS, lambda n: event(id=f"evt-{n}"), 202, Event),
        (ROADMAP, lambda n: _roadmap(f"GH-{n}"), 201, RoadmapItem),
    ],
)
def test_hooks_previous_inbound_secret_works_only_during_overlap(
    app, client, workspace, db_session, url, body, ok, model
):
    ws_id, old = workspace.workspace.id, workspace.workspace.webhook_secret
    new = _rotate(app, ws_id)
    assert new != old and new.startswith("whsec_")
    for n, secret in enumerate((old, new)):
        raw, headers = signed(secret, body(n))
        answer = client.post(url, data=raw, headers=headers)
        assert answer.status_code == ok, answer.json
    _end_overlap(app, ws_id)
    raw, headers = signed(old, body(7))
    refused = client.post(url, data=raw, headers=headers)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    raw, headers = signed(new, body(8))
    assert client.post(url, data=raw, headers=headers).status_code == ok
    assert table_count(db_session, model) == 3
    assert table_count(db_session, WebhookReceipt) == 3


def test_hooks_rotation_without_overlap_ends_the_old_secret_at_once(app, client, workspace, db_session):
    old = workspace.workspace.webhook_secret
    new = _rotate(app, workspace.workspace.id, overlap=timedelta(0))
    raw, headers = signed(old, event(id="evt-old"))
    assert client.post(EVENTS, data=raw, headers=headers).status_code == 401
    raw, headers = signed(new, event(id="evt-new"))
    assert client.post(EVENTS, data=raw, headers=headers).status_code == 202
    assert table_count(db_session, Event) == 1


def test_hooks_a_second_rotation_ends_the_first_previous_secret(app, client, workspace, db_session):
    first = workspace.workspace.webhook_secret
    second = _rotate(app, workspace.workspace.id)
    third = _rotate(app, workspace.workspace.id)
    for secret, status in ((first, 401), (second, 202), (third, 202)):
        raw, headers = signed(secret, event(id=f"evt-{status}-{secret[-6:]}"))
        assert client.post(EVENTS, data=raw, headers=headers).status_code == status


def test_hooks_refuse_outbound_and_widget_secrets(client, workspace, db_session):
    # The widget secret is an HMAC key as written (not base64): sign with exactly those bytes.
    widget_as_key = "whsec_" + base64.b64encode(workspace.workspace.widget_secret.encode()).decode()
    for secret in (workspace.workspace.outbound_webhook_secret, widget_as_key):
        raw, headers = signed(secret, event())
        assert client.post(EVENTS, data=raw, headers=headers).status_code == 401
        raw, headers = signed(secret, _roadmap("GH-1"))
        assert client.post(ROADMAP, data=raw, headers=headers).status_code == 401
    assert table_count(db_session, Event) == 0 and table_count(db_session, RoadmapItem) == 0
