"""The single-event path of POST /api/v1/events (two statements in one round trip, invitations
sent with the COMMIT): it decides exactly as the general path does, and commits before the 202."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import make_url, select, text, update

from surveys.contact.models import Contact
from surveys.core import pipeline
from surveys.core.db import db, utcnow
from surveys.event.models import Event
from surveys.event.service import ingest_event
from surveys.invitation.models import Invitation
from surveys.workspace.models import Workspace
from tests.support.helpers import create_survey, create_touchpoint, event, table_count


def _plain_url(app) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def test_a_retry_with_other_contact_fields_changes_no_contact(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    payload = event(contact="cust-9")
    assert client.post("/api/v1/events", json=payload, headers=workspace.headers).status_code == 202
    before = db_session.execute(select(Contact)).scalar_one()
    stored = (before.email, dict(before.attributes), before.updated_at)
    db_session.rollback()

    retry = {
        **payload,
        "contact": {**payload["contact"], "email": "new@example.com", "attributes": {"plan": "x"}},
    }
    second = client.post("/api/v1/events", json=retry, headers=workspace.headers)
    assert second.status_code == 200 and second.json["duplicate"] is True
    after = db_session.execute(select(Contact)).scalar_one()
    assert (after.email, after.attributes, after.updated_at) == stored
    assert table_count(db_session, Event) == 1
    assert table_count(db_session, Invitation) == 1


def test_fatigue_reads_back_as_far_as_the_longest_touchpoint_window(client, workspace, db_session):
    # The workspace forgets after 30 days; one touchpoint remembers 60. An invitation 45 days old
    # counts for that touchpoint only: the window read is the longest one, as the general path's.
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"], recontact_days=60)
    create_touchpoint(client, workspace.headers, survey["id"], name="Tickets", event="ticket.solved")
    first = client.post("/api/v1/events", json=event(), headers=workspace.headers).json
    assert first["invitations"][0]["status"] == "scheduled"
    db_session.execute(update(Invitation).values(scheduled_for=utcnow() - timedelta(days=45)))
    db_session.execute(update(Workspace).values(recontact_days=30))
    db_session.commit()

    again = client.post("/api/v1/events", json=event(), headers=workspace.headers).json
    other = client.post("/api/v1/events", json=event(name="ticket.solved"), headers=workspace.headers).json
    assert again["invitations"][0]["reason"] == "recently_contacted"
    assert other["invitations"][0]["status"] == "scheduled"


def test_concurrent_events_for_one_contact_schedule_one_invitation(app, client, workspace, db_session):
    # Each request reads fatigue after it holds the contact's lock: of six different events for
    # one person at once, one is scheduled and five are suppressed as recently contacted.
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    payloads = [event(contact="same-person") for _ in range(6)]

    def post(payload):
        with app.test_client() as c:
            return c.post("/api/v1/events", json=payload, headers=workspace.headers)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(post, payloads))
    assert [r.status_code for r in results] == [202] * 6
    reasons = sorted(str(r.json["invitations"][0]["reason"]) for r in results)
    assert reasons == ["None"] + ["recently_contacted"] * 5
    assert table_count(db_session, Event) == 6
    assert table_count(db_session, Contact) == 1
    scheduled = db_session.execute(select(Invitation).where(Invitation.status == "scheduled")).scalars().all()
    assert len(scheduled) == 1


def test_the_invitation_is_committed_before_the_202(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    body = client.post("/api/v1/events", json=event(), headers=workspace.headers).json
    # Another connection, outside the app's session: the rows are there as the answer arrives.
    with psycopg.connect(_plain_url(app)) as conn:
        row = conn.execute(
            "SELECT status FROM invitations WHERE id = %s", (body["invitations"][0]["id"],)
        ).fetchone()
        assert row == ("scheduled",)
        assert conn.execute("SELECT count(*) FROM events WHERE id = %s", (body["id"],)).fetchone() == (1,)


def test_without_a_touchpoint_the_event_is_stored_with_no_invitation(client, workspace, db_session):
    body = client.post("/api/v1/events", json=event(), headers=workspace.headers)
    assert body.status_code == 202
    assert body.json["invitations"] == [] and body.json["cancelled"] == 0
    assert table_count(db_session, Event) == 1
    assert table_count(db_session, Invitation) == 0


def _scratch(session) -> None:
    session.execute(text("CREATE TABLE IF NOT EXISTS at_commit_probe (v int PRIMARY KEY)"))
    session.execute(text("TRUNCATE at_commit_probe"))
    session.commit()


def _probe(session) -> list[int]:
    return sorted(session.execute(text("SELECT v FROM at_commit_probe")).scalars())


def test_at_commit_runs_with_the_commit_and_not_after_a_rollback(db_session):
    _scratch(db_session)
    pipeline.at_commit(db_session, "INSERT INTO at_commit_probe VALUES (%s)", (1,))
    assert _probe(db_session) == []  # not sent yet
    db_session.rollback()
    db_session.commit()  # a later transaction does not send a rolled-back one's statement
    assert _probe(db_session) == []
    pipeline.at_commit(db_session, "INSERT INTO at_commit_probe VALUES (%s)", (2,))
    db_session.commit()
    assert _probe(db_session) == [2]


def test_at_commit_that_fails_commits_nothing(app, db_session):
    _scratch(db_session)
    db_session.execute(text("INSERT INTO at_commit_probe VALUES (7)"))
    pipeline.at_commit(db_session, "INSERT INTO at_commit_probe VALUES (%s)", (7,))  # duplicate key
    with pytest.raises(Exception, match="at_commit_probe"):
        db_session.commit()
    db_session.rollback()
    assert _probe(db_session) == []


def test_at_commit_inside_a_savepoint_runs_at_once(db_session):
    _scratch(db_session)
    savepoint = db_session.begin_nested()
    pipeline.at_commit(db_session, "INSERT INTO at_commit_probe VALUES (%s)", (3,))
    assert _probe(db_session) == [3]
    savepoint.rollback()
    db_session.commit()
    assert _probe(db_session) == []


def test_ingest_event_without_at_commit_inserts_at_once(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    ws = db.session.get(Workspace, workspace.workspace.id)
    result = ingest_event(db_session, workspace=ws, data={**event(), "occurred_at": None})
    # Read back in the same transaction, uncommitted: the invitation is there already.
    assert table_count(db_session, Invitation) == 1
    assert result.invitations[0].status == "scheduled"
    db_session.rollback()
    assert table_count(db_session, Event) == 0
