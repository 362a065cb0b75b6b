"""Segment's webhook destination as a source of journey events: track calls take the path of
POST /api/v1/events (validation, idempotency by messageId, touchpoint decisions), identify calls
upsert the contact, other calls are acknowledged; only Segment's shared-secret signature or Basic
auth with the workspace's inbound secret gets in, and a refused call stores nothing."""

import base64
import hashlib
import hmac
import json

import pytest

from surveys.contact.models import Contact
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from tests.support.helpers import create_survey, create_touchpoint, table_count

URL = "/webhooks/acme/segment"


def _track(message_id="seg-1", **overrides):
    body = {
        "type": "track",
        "event": "order.delivered",
        "messageId": message_id,
        "userId": 4711,
        "anonymousId": "a-1",
        "timestamp": "2026-11-30T10:00:00.000Z",
        "properties": {"order_id": "o-9", "total": 120.5},
        "context": {"traits": {"email": "ada@example.com", "name": "Ada", "plan": "pro"}},
    }
    body.update(overrides)
    return body


def _signed(workspace, body) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    secret = workspace.workspace.webhook_secret
    return raw, {
        "content-type": "application/json",
        "X-Signature": hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest(),
    }


def _basic(workspace, body) -> tuple[bytes, dict]:
    token = base64.b64encode(f"{workspace.workspace.webhook_secret}:".encode()).decode()
    return json.dumps(body).encode(), {"content-type": "application/json", "Authorization": f"Basic {token}"}


@pytest.fixture
def touchpoint(client, workspace):
    survey = create_survey(client, workspace.headers)
    return create_touchpoint(client, workspace.headers, survey["id"], channel="link")


def test_a_track_call_is_a_journey_event_with_the_same_decisions(client, workspace, touchpoint, db_session):
    raw, headers = _signed(workspace, _track())
    reply = client.post(URL, data=raw, headers=headers)
    assert reply.status_code == 202, reply.json
    assert reply.json["duplicate"] is False
    assert [i["status"] for i in reply.json["invitations"]] == ["scheduled"]
    event = db_session.query(Event).one()
    assert event.external_id == "seg-1" and event.name == "order.delivered"
    assert event.properties == {"order_id": "o-9", "total": 120.5}
    contact = db_session.query(Contact).one()
    assert (contact.external_id, contact.email, contact.name) == ("4711", "ada@example.com", "Ada")
    assert contact.attributes == {"plan": "pro"}


def test_a_retried_message_is_stored_once(client, workspace, touchpoint, db_session):
    raw, headers = _signed(workspace, _track())
    first = client.post(URL, data=raw, headers=headers)
    again = client.post(URL, data=raw, headers=headers)
    assert first.status_code == 202 and again.status_code == 200
    assert again.json["duplicate"] is True and again.json["id"] == first.json["id"]
    assert table_count(db_session, Event) == 1 and table_count(db_session, Invitation) == 1


def test_identify_upserts_the_contact_with_basic_auth(client, workspace, db_session):
    body = {
        "type": "identify",
        "messageId": "id-1",
        "userId": "u-9",
        "traits": {"email": "bo@example.com", "name": "Bo", "company": "Initech", "arr": 24000},
    }
    reply = client.post(URL, data=json.dumps(body), headers=_basic(workspace, body)[1])
    assert reply.status_code == 200, reply.json
    contact = db_session.query(Contact).one()
    assert contact.external_id == "u-9" and contact.email == "bo@example.com"
    assert contact.attributes == {"company": "Initech", "arr": 24000}
    assert (
        client.post(URL, data=json.dumps(body), headers=_basic(workspace, body)[1]).json["duplicate"] is True
    )


def test_identify_of_an_erased_person_stores_nothing(client, workspace, db_session):
    erased = client.post(
        "/api/v1/privacy/erasure", json={"email": "Bo@Example.com"}, headers=workspace.headers
    )
    assert erased.status_code == 202
    body = {"type": "identify", "messageId": "id-2", "userId": "u-10", "traits": {"email": "bo@example.com"}}
    reply = client.post(URL, data=json.dumps(body), headers=_basic(workspace, body)[1])
    assert reply.status_code == 200 and reply.json["contact"] is None
    assert db_session.query(Contact).count() == 0
    # Someone else is still identified.
    body = {"type": "identify", "messageId": "id-3", "userId": "u-11", "traits": {"email": "cy@example.com"}}
    reply = client.post(URL, data=json.dumps(body), headers=_basic(workspace, body)[1])
    assert reply.status_code == 200 and reply.json["contact"]["external_id"] == "u-11"
    assert db_session.query(Contact).count() == 1


def test_anonymous_visitors_are_contacts_of_their_own(client, workspace, db_session):
    raw, headers = _signed(workspace, _track(userId=None, anonymousId="anon-7", context={}))
    assert client.post(URL, data=raw, headers=headers).status_code == 202
    assert db_session.query(Contact).one().external_id == "anonymous:anon-7"


def test_other_calls_are_acknowledged_and_ignored(client, workspace, db_session):
    raw, headers = _signed(workspace, {"type": "page", "messageId": "p-1", "userId": "u"})
    reply = client.post(URL, data=raw, headers=headers)
    assert reply.status_code == 200 and reply.json == {"ignored": True, "type": "page"}
    assert table_count(db_session, Contact) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Signature": "0" * 40},
        {"Authorization": "Basic " + base64.b64encode(b"whsec_wrong:").decode()},
        {"Authorization": "Bearer whatever"},
    ],
)
def test_wrong_or_missing_credentials_store_nothing(client, workspace, db_session, headers):
    reply = client.post(
        URL, data=json.dumps(_track()), headers={"content-type": "application/json", **headers}
    )
    assert reply.status_code == 401 and reply.mimetype == "application/problem+json"
    assert table_count(db_session, Event) == 0 and table_count(db_session, Contact) == 0


def test_an_unknown_workspace_is_a_401(client, workspace):
    raw, headers = _signed(workspace, _track())
    assert client.post("/webhooks/nope/segment", data=raw, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_track(event=None), "name"),
        (_track(messageId=None), "id"),
        (_track(userId=None, anonymousId=None), "userId"),
        (_track(properties=[1, 2]), "properties"),
        (_track(context={"traits": {"email": "not an email"}}), "contact"),
        (_track(timestamp="yesterday"), "occurred_at"),
    ],
)
def test_bad_calls_are_422_naming_the_field_and_store_nothing(client, workspace, db_session, body, field):
    raw, headers = _signed(workspace, body)
    reply = client.post(URL, data=raw, headers=headers)
    assert reply.status_code == 422, reply.json
    assert field in reply.json["errors"]
    assert table_count(db_session, Event) == 0


def test_signed_garbage_is_a_422(client, workspace):
    secret = workspace.workspace.webhook_secret
    for raw in (b"not json", b"[1, 2]", b'{"type": "track", "x": NaN}'):
        headers = {"X-Signature": hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()}
        assert client.post(URL, data=raw, headers=headers).status_code in (400, 422)
