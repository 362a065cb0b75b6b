"""Per-process caching on the event path (API key check, workspace row, touchpoints): every
change made elsewhere applies to the very next event, however warm the cache is."""

from surveys.core.db import db
from surveys.workspace.models import ApiKey
from surveys.workspace.service import create_api_key, revoke_api_key
from tests.support.helpers import create_survey, create_touchpoint, event


def _warm(client, headers, n: int = 3, prefix: str = "warm") -> None:
    for i in range(n):
        response = client.post(
            "/api/v1/events", json=event(id=f"{prefix}-{i}", contact=f"{prefix}-{i}"), headers=headers
        )
        assert response.status_code == 202


def test_events_revoked_key_is_refused_at_once(app, client, workspace):
    create_touchpoint(client, workspace.headers, create_survey(client, workspace.headers)["id"])
    with app.app_context():
        key, plain = create_api_key(db.session, workspace=workspace.workspace, role="ingest")
        db.session.commit()
        key_id = key.id
    headers = {"Authorization": f"Bearer {plain}"}
    _warm(client, headers)

    with app.app_context():
        revoke_api_key(db.session, workspace=workspace.workspace, key_id=key_id)
        db.session.commit()

    response = client.post("/api/v1/events", json=event(id="after-revoke"), headers=headers)
    assert response.status_code == 401
    assert response.json["detail"] == "The API key is unknown or revoked."
    # Another key of the same workspace is unaffected.
    assert (
        client.post("/api/v1/events", json=event(id="other-key"), headers=workspace.headers).status_code
        == 202
    )


def test_events_key_role_change_applies_at_once(app, client, workspace):
    create_touchpoint(client, workspace.headers, create_survey(client, workspace.headers)["id"])
    _warm(client, workspace.headers)
    with app.app_context():
        key = (
            db.session.query(ApiKey)
            .filter(ApiKey.workspace_id == workspace.workspace.id, ApiKey.role == "admin")
            .one()
        )
        key.role = "analyst"
        db.session.commit()
    response = client.post("/api/v1/events", json=event(id="as-analyst"), headers=workspace.headers)
    assert response.status_code == 403


def test_events_workspace_recontact_change_applies_to_next_event(client, workspace):
    create_touchpoint(client, workspace.headers, create_survey(client, workspace.headers)["id"])
    first = client.post("/api/v1/events", json=event(id="e1", contact="same"), headers=workspace.headers)
    assert first.json["invitations"][0]["status"] == "scheduled"
    second = client.post("/api/v1/events", json=event(id="e2", contact="same"), headers=workspace.headers)
    assert second.json["invitations"][0]["reason"] == "recently_contacted"  # the 30-day default

    patched = client.patch("/api/v1/workspace", json={"recontact_days": 0}, headers=workspace.headers)
    assert patched.status_code == 200
    third = client.post("/api/v1/events", json=event(id="e3", contact="same"), headers=workspace.headers)
    assert third.json["invitations"][0]["status"] == "scheduled"


def test_events_new_touchpoint_applies_to_next_event(client, workspace):
    survey = create_survey(client, workspace.headers)
    before = client.post("/api/v1/events", json=event(id="before"), headers=workspace.headers)
    assert before.status_code == 202 and before.json["invitations"] == []

    touchpoint = create_touchpoint(client, workspace.headers, survey["id"])
    after = client.post("/api/v1/events", json=event(id="after", contact="c2"), headers=workspace.headers)
    assert [i["touchpoint_id"] for i in after.json["invitations"]] == [touchpoint["id"]]


def test_events_paused_touchpoint_applies_to_next_event(client, workspace):
    touchpoint = create_touchpoint(client, workspace.headers, create_survey(client, workspace.headers)["id"])
    _warm(client, workspace.headers)
    paused = client.patch(
        f"/api/v1/touchpoints/{touchpoint['id']}", json={"active": False}, headers=workspace.headers
    )
    assert paused.status_code == 200
    response = client.post("/api/v1/events", json=event(id="paused", contact="p1"), headers=workspace.headers)
    assert response.status_code == 202 and response.json["invitations"] == []

    resumed = client.patch(
        f"/api/v1/touchpoints/{touchpoint['id']}", json={"active": True}, headers=workspace.headers
    )
    assert resumed.status_code == 200
    response = client.post(
        "/api/v1/events", json=event(id="resumed", contact="p2"), headers=workspace.headers
    )
    assert [i["status"] for i in response.json["invitations"]] == ["scheduled"]


def test_events_changed_touchpoint_and_closed_survey_apply_to_next_event(client, workspace):
    survey = create_survey(client, workspace.headers)
    touchpoint = create_touchpoint(client, workspace.headers, survey["id"])
    _warm(client, workspace.headers)

    changed = client.patch(
        f"/api/v1/touchpoints/{touchpoint['id']}",
        json={"conditions": [{"field": "contact.attributes.plan", "op": "eq", "value": "enterprise"}]},
        headers=workspace.headers,
    )
    assert changed.status_code == 200
    response = client.post("/api/v1/events", json=event(id="cond", contact="k1"), headers=workspace.headers)
    assert response.json["invitations"][0]["reason"] == "conditions_not_met"

    closed = client.patch(
        f"/api/v1/surveys/{survey['id']}", json={"status": "closed"}, headers=workspace.headers
    )
    assert closed.status_code == 200
    response = client.post("/api/v1/events", json=event(id="closed", contact="k2"), headers=workspace.headers)
    assert response.json["invitations"] == []
