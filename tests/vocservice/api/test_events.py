"""POST /api/v1/events and /events/batch: scheduling, suppression reasons, cancellation,
duplicates and bad input."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from surveys.contact.models import Contact
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from tests.support.helpers import create_survey, create_touchpoint, event, table_count


def _setup(client, ws, **touchpoint):
    survey = create_survey(client, ws.headers)
    return survey, create_touchpoint(client, ws.headers, survey["id"], **touchpoint)


def test_events_post_schedules_invitation_with_url(client, workspace):
    survey, touchpoint = _setup(client, workspace, delay_seconds=3600)
    response = client.post("/api/v1/events", json=event(), headers=workspace.headers)
    assert response.status_code == 202
    body = response.json
    assert body["duplicate"] is False
    [invitation] = body["invitations"]
    assert invitation["status"] == "scheduled"
    assert invitation["survey_id"] == survey["id"]
    assert invitation["touchpoint_id"] == touchpoint["id"]
    assert invitation["url"].startswith("http://voc.test/s/")
    delay = datetime.fromisoformat(invitation["scheduled_for"]) - datetime.now(UTC)
    assert timedelta(minutes=59) < delay <= timedelta(hours=1)


def test_events_same_id_twice_is_duplicate_and_stores_nothing(client, workspace, db_session):
    _setup(client, workspace)
    payload = event()
    first = client.post("/api/v1/events", json=payload, headers=workspace.headers)
    second = client.post("/api/v1/events", json=payload, headers=workspace.headers)
    assert first.status_code == 202 and second.status_code == 200
    assert second.json["duplicate"] is True
    assert second.json["invitations"][0]["id"] == first.json["invitations"][0]["id"]
    assert table_count(db_session, Event) == 1
    assert table_count(db_session, Invitation) == 1


def test_events_same_id_concurrently_stores_one(app, client, workspace, db_session):
    _setup(client, workspace)
    payload = event()

    def post(_):
        with app.test_client() as c:
            return c.post("/api/v1/events", json=payload, headers=workspace.headers)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(post, range(6)))
    assert sorted(r.status_code for r in results).count(202) == 1
    assert all(r.status_code in (200, 202) for r in results)
    assert sum(1 for r in results if r.json["duplicate"]) == 5
    assert table_count(db_session, Event) == 1
    assert table_count(db_session, Invitation) == 1
    assert table_count(db_session, Contact) == 1


def test_events_fatigue_suppresses_second_invitation_across_surveys(client, workspace):
    _setup(client, workspace)
    other = create_survey(
        client, workspace.headers, name="Support CSAT", kind="csat", question="How satisfied?"
    )
    create_touchpoint(client, workspace.headers, other["id"], event="ticket.solved")
    first = client.post("/api/v1/events", json=event(), headers=workspace.headers).json
    second = client.post("/api/v1/events", json=event(name="ticket.solved"), headers=workspace.headers).json
    assert first["invitations"][0]["status"] == "scheduled"
    assert second["invitations"][0]["status"] == "suppressed"
    assert second["invitations"][0]["reason"] == "recently_contacted"
    assert second["invitations"][0]["url"] is None


def test_events_touchpoint_recontact_override_allows_send(client, workspace):
    survey, _ = _setup(client, workspace)
    create_touchpoint(
        client, workspace.headers, survey["id"], name="Tickets", event="ticket.solved", recontact_days=0
    )
    client.post("/api/v1/events", json=event(), headers=workspace.headers)
    second = client.post("/api/v1/events", json=event(name="ticket.solved"), headers=workspace.headers).json
    assert second["invitations"][0]["status"] == "scheduled"


def test_events_conditions_sampling_and_missing_email_are_recorded(client, workspace):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(
        client,
        workspace.headers,
        survey["id"],
        name="Enterprise only",
        conditions=[{"field": "contact.attributes.plan", "op": "eq", "value": "enterprise"}],
    )
    create_touchpoint(
        client, workspace.headers, survey["id"], name="Never sampled", sample_rate=0, recontact_days=0
    )
    create_touchpoint(
        client, workspace.headers, survey["id"], name="Email", channel="email", recontact_days=0
    )
    payload = event(contact="no-mail")
    payload["contact"].pop("email")
    body = client.post("/api/v1/events", json=payload, headers=workspace.headers).json
    reasons = sorted(i["reason"] for i in body["invitations"])
    assert reasons == ["conditions_not_met", "no_email", "sampled_out"]


def test_events_cancel_on_cancels_pending_invitation(client, workspace):
    _setup(client, workspace, delay_seconds=86400, cancel_on=["refund.requested"])
    invitation = client.post("/api/v1/events", json=event(), headers=workspace.headers).json
    cancel = client.post(
        "/api/v1/events", json=event(name="refund.requested"), headers=workspace.headers
    ).json
    assert cancel["cancelled"] == 1
    listed = client.get(
        f"/api/v1/invitations/{invitation['invitations'][0]['id']}", headers=workspace.headers
    ).json
    assert listed["status"] == "cancelled"
    assert listed["reason"] == "cancelled_by:refund.requested"


def test_events_batch_reports_per_item_and_stores_valid_ones(client, workspace, db_session):
    _setup(client, workspace)
    good = [event(contact=f"c{i}") for i in range(3)]
    bad = {"id": "x", "name": "order.delivered"}  # no contact
    body = client.post(
        "/api/v1/events/batch", json={"events": [good[0], bad, *good[1:]]}, headers=workspace.headers
    ).json
    assert [r["status"] for r in body["results"]] == [202, 422, 202, 202]
    assert body["results"][1]["errors"] == {"contact": ["Missing data for required field."]}
    assert body["accepted"] == 3 and body["rejected"] == 1
    assert table_count(db_session, Event) == 3


def test_events_batch_over_limit_is_refused(client, workspace, db_session):
    payload = {"events": [{"id": str(i)} for i in range(1001)]}
    response = client.post("/api/v1/events/batch", json=payload, headers=workspace.headers)
    assert response.status_code in (413, 422)
    assert table_count(db_session, Event) == 0


def test_events_bad_input_gets_problem_and_stores_nothing(client, workspace, db_session):
    _setup(client, workspace)
    cases = [
        (b"{not json", 400),
        (b'{"id": 5, "name": "x", "contact": {"external_id": "a"}}', 422),
        (b'{"id": "a", "name": "x", "contact": {"external_id": "a"}, "extra": 1}', 422),
        (b'{"id": "a", "name": "x", "contact": {}}', 422),
        (b'{"id": "a", "name": "x", "occurred_at": "yesterday", "contact": {"external_id": "a"}}', 422),
        (b"[1, 2]", 422),
        (b"x" * (5 * 1024 * 1024), 413),
    ]
    for raw, status in cases:
        response = client.post(
            "/api/v1/events", data=raw, headers={**workspace.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == status, (raw[:40], response.json)
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == status and response.json["detail"]
    assert table_count(db_session, Event) == 0
    assert table_count(db_session, Contact) == 0


def test_events_contact_attributes_are_merged(client, workspace, db_session):
    client.post("/api/v1/events", json=event(contact="m1"), headers=workspace.headers)
    later = event(contact="m1")
    later["contact"]["attributes"] = {"plan": "enterprise", "region": "emea"}
    client.post("/api/v1/events", json=later, headers=workspace.headers)
    contact = db_session.query(Contact).one()
    assert contact.attributes == {"plan": "enterprise", "arr": 12000, "region": "emea"}


def test_events_nul_characters_are_refused_not_a_500(client, workspace, db_session):
    for payload in (
        event(name="order\u0000delivered"),
        event(properties={"note": "a\u0000b"}),
        event(contact="x\u0000y"),
    ):
        response = client.post("/api/v1/events", json=payload, headers=workspace.headers)
        assert response.status_code == 422, response.json
    assert table_count(db_session, Event) == 0
