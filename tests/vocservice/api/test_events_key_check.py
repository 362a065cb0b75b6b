"""POST /api/v1/events checks a key this process knows in the request's first round trip
(vocservice.auth, ``checked_with_first_statement``): a key revoked, a role changed, a workspace
or a touchpoint changed by ANOTHER process (another app instance on the same database, with its
own caches) takes effect on the very next request here, and nothing of the refused request is
stored."""

from surveys.core.db import db
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.workspace.service import hash_key
from tests.conftest import TEST_REDIS_URL
from tests.support.helpers import create_survey, create_touchpoint, event, python_process, table_count

# Another process: its own create_app on the same database, its own per-process caches.
_ELSEWHERE = """
import sys
from vocservice import create_app
from surveys.core.db import db
from sqlalchemy import text
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "REDIS_URL": sys.argv[2],
    "RATELIMIT_STORAGE_URI": sys.argv[2], "PUBLIC_BASE_URL": "http://voc.test", "SMTP_URL": None,
    "SECRET_KEY": "test-secret"})
client = app.test_client()
headers = {"Authorization": "Bearer " + sys.argv[3]}
with app.app_context():
    exec(sys.argv[4])
    db.session.commit()
"""


def _elsewhere(app, admin_key: str, code: str) -> None:
    python_process(_ELSEWHERE, app.config["SQLALCHEMY_DATABASE_URI"], TEST_REDIS_URL, admin_key, code)


def _stored(app) -> tuple[int, int]:
    """Events and invitations stored. Read in an app context of its own: a test holding one
    open (db_session) would give every request one long-lived session, whose identity map
    serves the workspace without the per-process cache (so nothing would be assumed)."""
    with app.app_context():
        counts = table_count(db.session, Event), table_count(db.session, Invitation)
        db.session.remove()
    return counts


def _warm(client, headers) -> None:
    """Two events: the first checks the key on its own and remembers it, the second assumes it."""
    for _ in range(2):
        assert client.post("/api/v1/events", json=event(), headers=headers).status_code == 202
    _assert_assumed(headers)


def _ingest_key_assumed(client, workspace) -> dict:
    """A survey with a touchpoint and the ingest key's headers, the key already assumed."""
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    ingest = workspace.key_headers("ingest")
    _warm(client, ingest)
    return ingest


def _change_ingest_key_elsewhere(app, workspace, assignment: str) -> None:
    """``UPDATE api_keys SET <assignment>`` of the workspace's ingest key, from another process."""
    digest = hash_key(workspace.keys["ingest"])
    _elsewhere(
        app,
        workspace.api_key,
        f"db.session.execute(text({f'UPDATE api_keys SET {assignment} WHERE key_hash = :h'!r}), "
        f"{{'h': {digest!r}}})",
    )


def _assert_assumed(headers) -> None:
    """This process would assume the key's grant on its next request (the path under test)."""
    from surveys.workspace import keys  # after the app: it inspects the mapped models

    seen = keys._KEYS[hash_key(headers["Authorization"].removeprefix("Bearer "))]  # noqa: SLF001
    assert keys._WORKSPACES[seen[3]][0] == seen[4]  # noqa: SLF001


def test_a_key_revoked_elsewhere_is_refused_on_the_next_request_and_nothing_is_stored(app, client, workspace):
    ingest = _ingest_key_assumed(client, workspace)
    stored = _stored(app)

    _change_ingest_key_elsewhere(app, workspace, "revoked_at = now()")
    refused = client.post("/api/v1/events", json=event(contact="cust-2"), headers=ingest)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert _stored(app) == stored
    # The other keys of the workspace go on working.
    assert client.post("/api/v1/events", json=event(), headers=workspace.headers).status_code == 202


def test_a_role_changed_elsewhere_is_refused_on_the_next_request(app, client, workspace):
    ingest = _ingest_key_assumed(client, workspace)
    stored = _stored(app)

    _change_ingest_key_elsewhere(app, workspace, "role = 'analyst'")
    refused = client.post("/api/v1/events", json=event(contact="cust-2"), headers=ingest)
    assert refused.status_code == 403
    assert _stored(app) == stored


def test_a_workspace_changed_elsewhere_decides_the_next_event(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    ingest = workspace.key_headers("ingest")
    first = client.post("/api/v1/events", json=event(contact="cust-1"), headers=ingest).json
    assert first["invitations"][0]["status"] == "scheduled"
    # Asked within the workspace's 30 days: this one is suppressed (and the key now assumed).
    second = client.post("/api/v1/events", json=event(contact="cust-1"), headers=ingest).json
    assert second["invitations"][0]["status"] == "suppressed"
    _assert_assumed(ingest)

    _elsewhere(
        app,
        workspace.api_key,
        "assert client.patch('/api/v1/workspace', json={'recontact_days': 0}, headers=headers)"
        ".status_code == 200",
    )
    third = client.post("/api/v1/events", json=event(contact="cust-1"), headers=ingest)
    assert third.status_code == 202
    assert third.json["invitations"][0]["status"] == "scheduled", third.json


def test_a_touchpoint_paused_elsewhere_invites_no_one_on_the_next_event(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    touchpoint = create_touchpoint(client, workspace.headers, survey["id"])
    ingest = workspace.key_headers("ingest")
    _warm(client, ingest)

    _elsewhere(
        app,
        workspace.api_key,
        f"assert client.patch('/api/v1/touchpoints/{touchpoint['id']}', json={{'active': False}}, "
        "headers=headers).status_code == 200",
    )
    after = client.post("/api/v1/events", json=event(contact="cust-9"), headers=ingest)
    assert after.status_code == 202 and after.json["invitations"] == []


def test_an_assumed_key_with_an_invalid_body_is_a_422_and_stores_nothing(app, client, workspace):
    ingest = _ingest_key_assumed(client, workspace)
    stored = _stored(app)
    bad = client.post("/api/v1/events", json={**event(), "name": ""}, headers=ingest)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert _stored(app) == stored


def test_on_the_general_path_too_a_key_revoked_elsewhere_is_refused(app, client, workspace):
    # A workspace that has erased someone takes ingest_events' path, whose first statement is a
    # plain pipeline.fetch: the assumed key's check travels with that one.
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    erase = {"email": "gone@example.com"}
    assert client.post("/api/v1/privacy/erasure", json=erase, headers=workspace.headers).status_code == 202
    ingest = workspace.key_headers("ingest")
    _warm(client, ingest)
    stored = _stored(app)

    _change_ingest_key_elsewhere(app, workspace, "revoked_at = now()")
    refused = client.post("/api/v1/events", json=event(contact="cust-2"), headers=ingest)
    assert refused.status_code == 401
    assert _stored(app) == stored


def test_a_key_revoked_elsewhere_with_an_invalid_body_is_a_401_not_a_422(app, client, workspace):
    # The body fails validation before any statement carried the assumed key's check: it is
    # checked then, and the answer is the one a check made first would give.
    ingest = _ingest_key_assumed(client, workspace)
    _change_ingest_key_elsewhere(app, workspace, "revoked_at = now()")
    bad = client.post("/api/v1/events", json={"id": "x"}, headers=ingest)
    assert bad.status_code == 401 and bad.mimetype == "application/problem+json"
