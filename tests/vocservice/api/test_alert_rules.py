"""/api/v1/alert-rules and /api/v1/alerts: defaults per kind, every bad input a 422 problem with
nothing stored, admins write and analysts read, another workspace's ids unknown, alerts paged
and filtered by rule and kind."""

from datetime import timedelta

import pytest

from surveys.alert.models import AlertRule
from surveys.core.db import utcnow
from surveys.workspace.service import create_api_key, create_workspace
from tests.support.helpers import create_survey, table_count
from tests.surveys.alert.conftest import evaluate, make_rule, post_answers


@pytest.fixture
def survey(client, workspace):
    return create_survey(client, workspace.headers, name="NPS", kind="nps")


def test_rule_defaults_and_round_trip(client, workspace, survey):
    rule = make_rule(client, workspace, kind="score_drop", survey_id=survey["id"])
    assert rule["min_responses"] == 30 and rule["baseline_windows"] == 4 and rule["significance"] == 0.05
    assert rule["window_days"] == 7 and rule["baseline"] == "previous" and rule["warnings"] == []
    assert rule["notify"] == {"emails": [], "webhook_endpoint_ids": []}
    patched = client.patch(
        f"/api/v1/alert-rules/{rule['id']}",
        json={"baseline": "trailing", "window_days": 14},
        headers=workspace.headers,
    )
    assert patched.status_code == 200 and patched.json["baseline"] == "trailing"
    listed = client.get("/api/v1/alert-rules", headers=workspace.key_headers("analyst")).json
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    assert client.delete(f"/api/v1/alert-rules/{rule['id']}", headers=workspace.headers).status_code == 204
    assert client.get(f"/api/v1/alert-rules/{rule['id']}", headers=workspace.headers).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "sometimes"}, "kind"),
        ({"kind": "score_drop"}, "survey_id"),
        ({"kind": "theme_spike", "survey_id": "SURVEY"}, "theme_id"),
        ({"kind": "detractor", "survey_id": "SURVEY", "theme_id": "th_nope"}, "theme_id"),
        ({"kind": "no_response"}, "account"),
        (
            {
                "kind": "no_response",
                "account": {"attribute": "company", "value": "A"},
                "touchpoint_id": "tp_x",
            },
            "account",
        ),
        ({"kind": "no_response", "account": {"attribute": "bad name!", "value": "A"}}, "account"),
        ({"kind": "detractor", "survey_id": "sv_unknown"}, "survey_id"),
        (
            {"kind": "detractor", "survey_id": "SURVEY", "notify": {"emails": ["stranger@else.test"]}},
            "notify",
        ),
        (
            {"kind": "detractor", "survey_id": "SURVEY", "notify": {"webhook_endpoint_ids": ["ep_none"]}},
            "notify",
        ),
        ({"kind": "score_drop", "survey_id": "SURVEY", "significance": 0.5}, "significance"),
        ({"kind": "score_drop", "survey_id": "SURVEY", "window_days": 0}, "window_days"),
        ({"kind": "score_drop", "survey_id": "SURVEY", "surprise": 1}, "surprise"),
    ],
)
def test_bad_rules_are_422_and_store_nothing(client, workspace, survey, db_session, body, field):
    if body.get("survey_id") == "SURVEY":
        body = {**body, "survey_id": survey["id"]}
    answer = client.post("/api/v1/alert-rules", json={"name": "x", **body}, headers=workspace.headers)
    assert answer.status_code == 422, answer.json
    assert answer.content_type == "application/problem+json"
    assert any(key.startswith(field) for key in answer.json["errors"]), answer.json
    assert table_count(db_session, AlertRule) == 0


def test_patch_that_breaks_the_rule_changes_nothing(client, workspace, survey, db_session):
    rule = make_rule(client, workspace, kind="score_drop", survey_id=survey["id"])
    answer = client.patch(
        f"/api/v1/alert-rules/{rule['id']}", json={"kind": "theme_spike"}, headers=workspace.headers
    )
    assert answer.status_code == 422
    db_session.expire_all()
    assert db_session.get(AlertRule, rule["id"]).kind == "score_drop"


def test_roles_and_workspaces(app, client, workspace, survey, db_session):
    analyst = workspace.key_headers("analyst")
    denied = client.post(
        "/api/v1/alert-rules",
        json={"name": "x", "kind": "detractor", "survey_id": survey["id"]},
        headers=analyst,
    )
    assert denied.status_code == 403
    assert client.get("/api/v1/alert-rules", headers=workspace.key_headers("ingest")).status_code == 403
    rule = make_rule(client, workspace, kind="detractor", survey_id=survey["id"])
    other = create_workspace(db_session, name="Other", slug="other")
    key = create_api_key(db_session, workspace=other, role="admin")[1]
    db_session.commit()
    foreign = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/alert-rules/{rule['id']}", headers=foreign).status_code == 404
    stolen = client.post(
        "/api/v1/alert-rules",
        json={"name": "x", "kind": "detractor", "survey_id": survey["id"]},
        headers=foreign,
    )
    assert stolen.status_code == 422


def test_alerts_list_pages_and_filters(app, client, workspace, survey):
    first = make_rule(client, workspace, name="a", kind="detractor", survey_id=survey["id"])
    make_rule(client, workspace, name="b", kind="detractor", survey_id=survey["id"])
    now = utcnow()
    post_answers(client, workspace, survey["id"], [1], at=now)
    assert len(evaluate(app, now + timedelta(minutes=2)).fired) == 2
    page = client.get("/api/v1/alerts?limit=1", headers=workspace.headers).json
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"/api/v1/alerts?limit=1&cursor={page['next_cursor']}", headers=workspace.headers).json
    assert rest["next_cursor"] is None and rest["items"][0]["id"] != page["items"][0]["id"]
    mine = client.get(f"/api/v1/alerts?rule_id={first['id']}", headers=workspace.headers).json["items"]
    assert [a["rule_id"] for a in mine] == [first["id"]]
    assert set(mine[0]) >= {
        "id",
        "rule_id",
        "kind",
        "fired_at",
        "window",
        "figures",
        "examples",
        "evidence_path",
    }
    assert client.get("/api/v1/alerts?kind=score_drop", headers=workspace.headers).json["items"] == []
    assert client.get("/api/v1/alerts?kind=nope", headers=workspace.headers).status_code == 422
