"""Signed inbound events: POST /webhooks/{workspace}/events (Standard Webhooks)."""

import base64
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from surveys.core.ledgers import WebhookReceipt
from surveys.event.models import Event
from tests.support.helpers import create_survey, create_touchpoint, event, signed, table_count

URL = "/webhooks/acme/events"


def test_webhooks_signed_event_is_ingested(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    raw, headers = signed(workspace.workspace.webhook_secret, event())
    response = client.post(URL, data=raw, headers=headers)
    assert response.status_code == 202, response.json
    assert response.json["invitations"][0]["status"] == "scheduled"
    assert table_count(db_session, Event) == 1


def test_webhooks_replayed_message_id_stores_nothing_new(client, workspace, db_session):
    secret = workspace.workspace.webhook_secret
    raw, headers = signed(secret, event(), msg_id="msg_same")
    assert client.post(URL, data=raw, headers=headers).status_code == 202
    # Re-signed at a new time with a different event id but the same message id: a replay.
    raw2, headers2 = signed(secret, event(), msg_id="msg_same")
    again = client.post(URL, data=raw2, headers=headers2)
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert table_count(db_session, Event) == 1
    assert table_count(db_session, WebhookReceipt) == 1


def test_webhooks_concurrent_duplicate_deliveries_store_one(app, workspace, db_session):
    raw, headers = signed(workspace.workspace.webhook_secret, event(), msg_id="msg_race")

    def post(_):
        with app.test_client() as c:
            return c.post(URL, data=raw, headers=headers)

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(post, range(5)))
    assert all(r.status_code in (200, 202) for r in results), [r.json for r in results]
    assert table_count(db_session, Event) == 1


def test_webhooks_bad_signatures_are_401_and_store_nothing(client, workspace, db_session):
    secret = workspace.workspace.webhook_secret
    raw, good = signed(secret, event())
    wrong_secret = "whsec_" + base64.b64encode(b"x" * 32).decode()
    _, forged = signed(wrong_secret, event())
    old = datetime.now(UTC) - timedelta(minutes=6)
    future = datetime.now(UTC) + timedelta(minutes=6)
    raw_old, stale = signed(secret, event(), at=old)
    raw_future, early = signed(secret, event(), at=future)
    cases = [
        (raw, {**good, "webhook-signature": forged["webhook-signature"]}),
        (raw + b" ", good),  # body changed after signing
        (raw, {k: v for k, v in good.items() if k != "webhook-signature"}),
        (raw, {**good, "webhook-signature": "garbage"}),
        (raw, {**good, "webhook-signature": "v1,@@@not-base64@@@"}),
        (raw, {**good, "webhook-timestamp": "soon"}),
        (raw_old, stale),
        (raw_future, early),
        (b"\xff\xfe", good),
    ]
    for body, headers in cases:
        response = client.post(URL, data=body, headers=headers)
        assert response.status_code == 401, (headers, response.json)
        assert response.mimetype == "application/problem+json"
    unknown = client.post("/webhooks/nobody/events", data=raw, headers=good)
    assert unknown.status_code == 401
    assert table_count(db_session, Event) == 0
    assert table_count(db_session, WebhookReceipt) == 0


def test_webhooks_signed_but_invalid_event_is_422(client, workspace, db_session):
    raw, headers = signed(workspace.workspace.webhook_secret, {"id": "x"})
    response = client.post(URL, data=raw, headers=headers)
    assert response.status_code == 422
    assert "contact" in response.json["errors"]
    raw, headers = signed(workspace.workspace.webhook_secret, "{nope")
    assert client.post(URL, data=raw, headers=headers).status_code == 422
    assert table_count(db_session, WebhookReceipt) == 0
