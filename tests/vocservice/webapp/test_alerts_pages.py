"""The alerts page: empty state, rules created, changed and deleted with the API's validation
(nothing stored on a bad form), the history paged and filtered by rule, customer text escaped."""

from datetime import timedelta

import pytest

from surveys.alert.models import AlertRule
from surveys.core.db import utcnow
from tests.support.helpers import create_survey, table_count
from tests.support.webapp import login, make_user
from tests.surveys.alert.conftest import evaluate, post_answers


@pytest.fixture
def admin(client, app, workspace):
    make_user(app, workspace.workspace.id)
    return login(client)


def test_empty_state_says_what_to_do(client, admin):
    page = client.get("/app/alerts")
    assert page.status_code == 200
    assert "No alerts yet" in page.text and "Add a rule below" in page.text


def test_rule_form_validates_like_the_api_and_stores_nothing_bad(client, admin, workspace, db_session):
    survey = create_survey(client, workspace.headers, name="NPS", kind="nps")
    bad = client.post(
        "/app/alerts/rules",
        data={
            "csrf_token": admin,
            "name": "x",
            "kind": "theme_spike",
            "survey_id": survey["id"],
            "significance": "2",
        },
    )
    assert bad.status_code == 422
    assert "less than or equal to 0.2" in bad.text and "aria-invalid" in bad.text
    no_theme = client.post(
        "/app/alerts/rules",
        data={"csrf_token": admin, "name": "x", "kind": "theme_spike", "survey_id": survey["id"]},
    )
    assert no_theme.status_code == 422 and "a theme_spike rule watches one theme" in no_theme.text
    stranger = client.post(
        "/app/alerts/rules",
        data={
            "csrf_token": admin,
            "name": "x",
            "kind": "detractor",
            "survey_id": survey["id"],
            "emails": "who@else.test",
        },
    )
    assert stranger.status_code == 422
    assert table_count(db_session, AlertRule) == 0

    made = client.post(
        "/app/alerts/rules",
        data={
            "csrf_token": admin,
            "name": "Unhappy",
            "kind": "detractor",
            "survey_id": survey["id"],
            "emails": "pm@acme.test",
            "enabled": ["on", "off"],
        },
    )
    assert made.status_code == 302
    rule = db_session.query(AlertRule).one()
    assert rule.notify["emails"] == ["pm@acme.test"] and rule.enabled

    edited = client.post(
        f"/app/alerts/rules/{rule.id}",
        data={
            "csrf_token": admin,
            "name": "Renamed",
            "kind": "detractor",
            "survey_id": survey["id"],
            "enabled": "off",
        },
    )
    assert edited.status_code == 302
    db_session.expire_all()
    assert db_session.get(AlertRule, rule.id).name == "Renamed"
    assert db_session.get(AlertRule, rule.id).enabled is False
    gone = client.post(f"/app/alerts/rules/{rule.id}/delete", data={"csrf_token": admin})
    assert gone.status_code == 302 and table_count(db_session, AlertRule) == 0


def test_history_shows_escaped_quotes_and_the_evidence(app, client, admin, workspace):
    survey = create_survey(client, workspace.headers, name="NPS", kind="nps")
    client.post(
        "/app/alerts/rules",
        data={"csrf_token": admin, "name": "Unhappy", "kind": "detractor", "survey_id": survey["id"]},
    )
    now = utcnow()
    post_answers(client, workspace, survey["id"], [1, 2], at=now, comment="<img src=x onerror=alert(1)>")
    assert len(evaluate(app, now + timedelta(minutes=2)).fired) == 1
    page = client.get("/app/alerts").text
    assert "2 detractor answers" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "/app/feedback?survey=" in page


def test_analysts_read_alerts_but_do_not_manage_rules(app, client, workspace, db_session):
    make_user(app, workspace.workspace.id, role="analyst", email="analyst@acme.test")
    token = login(client, email="analyst@acme.test")
    page = client.get("/app/alerts")
    assert page.status_code == 200 and "Add a rule" not in page.text and "Ask an admin" in page.text
    survey = create_survey(client, workspace.headers, name="NPS", kind="nps")
    denied = client.post(
        "/app/alerts/rules",
        data={"csrf_token": token, "name": "x", "kind": "detractor", "survey_id": survey["id"]},
    )
    assert denied.status_code == 403 and table_count(db_session, AlertRule) == 0
