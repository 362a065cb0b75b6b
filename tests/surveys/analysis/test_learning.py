"""Corrections teach the workspace (issue 13): a removed theme's trigger, with the word beside
it, becomes a negative context; an added theme proposes the phrase that should have matched; a
rule applies once confirmed (or taught often enough), re-analyses the answers it may change, is
shown with who taught it and from which answers, and can be undone."""

from sqlalchemy import select

from surveys.analysis.models import Analysis, Theme
from surveys.core.db import db
from tests.support.analysis import store_responses
from tests.support.webapp import login, make_user

NOISY = "Our Slack channel is too noisy at night."


def _theme_id(app, workspace_id: str, name: str) -> str:
    with app.app_context():
        value = db.session.execute(
            select(Theme.id).where(Theme.workspace_id == workspace_id, Theme.name == name)
        ).scalar_one()
        db.session.remove()
    return value


def _themes(app, response_id: str) -> set[str]:
    with app.app_context():
        rows = db.session.execute(
            select(Analysis.themes).where(Analysis.response_id == response_id)
        ).scalars()
        names = {t["name"] for themes in rows for t in themes}
        db.session.remove()
    return names


def _correct(client, token: str, response_id: str, theme_id: str, action: str):
    return client.post(
        f"/app/feedback/{response_id}/themes",
        data={"csrf_token": token, "theme_id": theme_id, "action": action},
    )


def test_learning_removal_teaches_a_context_confirmed_applies_and_undo_reverts(
    app, client, workspace, run_worker
):
    ws = workspace.workspace.id
    make_user(app, ws)
    first, twin, other = store_responses(app, ws, [NOISY, NOISY, "The Slack integration broke."])
    run_worker()
    assert "integrations" in _themes(app, first) and "integrations" in _themes(app, twin)
    token = login(client)
    integrations = _theme_id(app, ws, "integrations")
    page = _correct(client, token, first, integrations, "remove")
    assert page.status_code == 302
    [rule] = client.get("/api/v1/learned-rules", headers=workspace.headers).json["items"]
    assert (rule["theme"], rule["kind"], rule["phrase"], rule["status"]) == (
        "integrations",
        "exclude",
        "slack channel",
        "proposed",
    )
    assert rule["response_ids"] == [first] and rule["corrections"] == 1 and rule["created_by"]
    run_worker()
    assert "integrations" in _themes(app, twin)  # proposed only: nothing changes yet

    confirmed = client.post(f"/api/v1/learned-rules/{rule['id']}/confirm", headers=workspace.headers)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "active"
    assert confirmed.json["decided_at"]
    assert run_worker() >= 1  # the targeted re-analysis a theme edit triggers
    assert "integrations" not in _themes(app, twin)
    assert "integrations" in _themes(app, other)  # another context keeps the theme

    again = client.post(f"/api/v1/learned-rules/{rule['id']}/confirm", headers=workspace.headers)
    assert again.status_code == 409
    undone = client.post(f"/api/v1/learned-rules/{rule['id']}/undo", headers=workspace.headers)
    assert undone.status_code == 200 and undone.json["status"] == "undone"
    run_worker()
    assert "integrations" in _themes(app, twin)
    assert "integrations" not in _themes(app, first)  # the analyst's own verdict stays

    active = client.get("/api/v1/learned-rules?status=active", headers=workspace.headers).json["items"]
    assert active == []


def test_learning_rule_applies_once_taught_often_enough(app, client, workspace, run_worker):
    app.config["VOC_LEARN_AFTER"] = 2
    try:
        ws = workspace.workspace.id
        make_user(app, ws)
        ids = store_responses(app, ws, [NOISY] * 3)
        run_worker()
        token = login(client)
        integrations = _theme_id(app, ws, "integrations")
        _correct(client, token, ids[0], integrations, "remove")
        _correct(client, token, ids[0], integrations, "remove")  # the same answer counts once
        [rule] = client.get("/api/v1/learned-rules", headers=workspace.headers).json["items"]
        assert rule["status"] == "proposed" and rule["corrections"] == 1
        _correct(client, token, ids[1], integrations, "remove")
        [rule] = client.get("/api/v1/learned-rules", headers=workspace.headers).json["items"]
        assert rule["status"] == "active" and rule["corrections"] == 2
        assert set(rule["response_ids"]) == {ids[0], ids[1]}
        run_worker()
        assert "integrations" not in _themes(app, ids[2])
    finally:
        app.config["VOC_LEARN_AFTER"] = 3


def test_learning_addition_proposes_the_phrase_that_should_have_matched(app, client, workspace, run_worker):
    ws = workspace.workspace.id
    make_user(app, ws)
    target, later = store_responses(app, ws, ["The Gantt view keeps flickering.", "Gantt view needs zoom."])
    run_worker()
    token = login(client)
    reporting = _theme_id(app, ws, "reporting")
    _correct(client, token, target, reporting, "add")
    [rule] = client.get("/api/v1/learned-rules", headers=workspace.headers).json["items"]
    assert (rule["kind"], rule["phrase"], rule["theme"]) == ("keyword", "gantt view", "reporting")
    page = client.get("/app/learning").text
    assert "gantt view" in page and "pm@acme.test" in page and target in page and "Confirm" in page
    client.post(f"/app/learning/{rule['id']}", data={"csrf_token": token, "action": "confirm"})
    run_worker()
    assert "reporting" in _themes(app, later)


def test_learning_api_problems(app, client, workspace):
    headers = workspace.headers
    missing = client.post("/api/v1/learned-rules/lr_nope/confirm", headers=headers)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    bad = client.get("/api/v1/learned-rules?status=maybe", headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["errors"]
    assert client.get("/api/v1/learned-rules", headers=workspace.key_headers("ingest")).status_code == 403
    assert client.get("/api/v1/learned-rules", headers=headers).json == {"items": [], "next_cursor": None}
