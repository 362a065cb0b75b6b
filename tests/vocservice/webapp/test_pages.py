"""Dashboard, roadmap board, surveys/touchpoints and settings pages of the web app."""

import re

from sqlalchemy import select

from surveys.analysis.models import Theme
from surveys.core.db import db
from surveys.metrics.rollups import Bucket
from surveys.metrics.service import summarize
from surveys.roadmap.mapping import remap_item
from surveys.roadmap.models import RoadmapItem
from surveys.roadmap.service import create_item
from surveys.segment.service import create_segment
from surveys.survey.models import Survey, Touchpoint
from surveys.workspace.models import ApiKey, User, Workspace
from surveys.workspace.service import authenticate_key
from tests.support.webapp import COMMENTS, login, make_user, seed_feedback


def _seed_story(app, workspace_id: str) -> dict:
    data = seed_feedback(app, workspace_id)
    with app.app_context():
        workspace = db.session.get(Workspace, workspace_id)
        create_segment(
            db.session,
            workspace=workspace,
            data={
                "name": "Enterprise",
                "conditions": [{"field": "attributes.plan", "op": "eq", "value": "enterprise"}],
            },
        )
        integrations = db.session.execute(
            select(Theme.id).where(Theme.workspace_id == workspace_id, Theme.name == "integrations")
        ).scalar_one()
        item = create_item(
            db.session,
            workspace=workspace,
            data={"title": "Salesforce sync v2", "status": "planned", "theme_ids": [integrations]},
        )
        db.session.commit()
        remap_item(db.session, item_id=item.id)
        db.session.commit()
        data["item_id"] = item.id
        db.session.remove()
    return data


def test_webapp_dashboard_shows_score_trend_segments_and_story(client, app, workspace):
    make_user(app, workspace.workspace.id)
    data = _seed_story(app, workspace.workspace.id)
    login(client)
    response = client.get("/app")
    assert response.status_code == 200
    assert "data;dur=" in response.headers["Server-Timing"]
    page = response.text
    counts = [0] * 11
    for _plan, score, _comment in COMMENTS:
        counts[score] += 1
    expected = summarize("nps", Bucket(counts=counts))
    assert expected["responses"] == len(COMMENTS)
    big = re.findall(r'<p class="big">([^<]+)</p>', page)
    assert big == [f"{expected['score']:+.0f}", str(len(COMMENTS))]
    lo, hi = expected["ci95"]
    assert f"95% CI {lo:+.0f} to {hi:+.0f}" in page
    assert '<svg class="trend trend-wide"' in page and 'id="trend-svg-title"' in page
    assert "<details>" in page and "<table>" in page  # the data table fallback
    assert "Enterprise" in page and "enterprise" in page  # segment and plan bars
    assert "integrations" in page
    assert "What needs attention" in page and "Salesforce sync v2" in page
    assert f'value="{data["survey_id"]}" selected' in page


def test_webapp_dashboard_defaults_to_busiest_nps_survey_and_bad_input_is_4xx(client, app, workspace):
    make_user(app, workspace.workspace.id)
    with app.app_context():
        db.session.add(
            Survey(workspace_id=workspace.workspace.id, name="Empty CSAT", kind="csat", question="Happy?")
        )
        db.session.commit()
        db.session.remove()
    data = seed_feedback(app, workspace.workspace.id)
    login(client)
    assert f'value="{data["survey_id"]}" selected' in client.get("/app").text
    assert client.get("/app?from=2026-13-01").status_code == 422
    assert client.get("/app?from=2026-02-01&to=2026-01-01").status_code == 422
    assert client.get("/app?survey=sv_nope").status_code == 404
    assert client.get("/app?attribute=a%20b").status_code == 422


def test_webapp_dashboard_without_surveys(client, app, workspace):
    make_user(app, workspace.workspace.id)
    login(client)
    page = client.get("/app")
    assert page.status_code == 200 and "No surveys yet" in page.text


def test_webapp_roadmap_ranks_expands_and_changes_status(client, app, workspace):
    make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    data = _seed_story(app, workspace.workspace.id)
    token = login(client, "ana@acme.test")
    page = client.get("/app/roadmap").text
    assert "Salesforce sync v2" in page and "drops records every night" in page
    assert re.search(r"<strong>2</strong> responses", page)
    assert "Salesforce sync v2" not in client.get("/app/roadmap?status=shipped").text
    assert client.get("/app/roadmap?status=nonsense").status_code == 422
    moved = client.post(
        f"/app/roadmap/{data['item_id']}/status", data={"csrf_token": token, "status": "shipped"}
    )
    assert moved.status_code == 302
    assert "Salesforce sync v2" in client.get("/app/roadmap?status=shipped").text
    assert (
        client.post(
            f"/app/roadmap/{data['item_id']}/status", data={"csrf_token": token, "status": "done"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/app/roadmap/rm_nope/status", data={"csrf_token": token, "status": "planned"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(RoadmapItem, data["item_id"]).status == "shipped"
        db.session.remove()


def test_webapp_surveys_create_and_pause(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = login(client)
    bad = client.post("/app/surveys", data={"csrf_token": token, "name": "", "kind": "xyz", "question": "q"})
    assert bad.status_code == 422 and "aria-invalid" in bad.text
    ok = client.post(
        "/app/surveys",
        data={"csrf_token": token, "name": "Onboarding CES", "kind": "ces", "question": "How easy?"},
    )
    assert ok.status_code == 302
    with app.app_context():
        survey = db.session.execute(select(Survey)).scalar_one()
        survey_id = survey.id
        db.session.remove()
    bad_tp = client.post(
        "/app/touchpoints",
        data={
            "csrf_token": token,
            "name": "Hook",
            "event": "x.y",
            "survey_id": survey_id,
            "channel": "webhook",
            "webhook_url": "http://127.0.0.1/hook",
        },
    )
    assert bad_tp.status_code == 422
    foreign = client.post(
        "/app/touchpoints",
        data={"csrf_token": token, "name": "Tp", "event": "x.y", "survey_id": "sv_other", "channel": "link"},
    )
    assert foreign.status_code == 422
    made = client.post(
        "/app/touchpoints",
        data={
            "csrf_token": token,
            "name": "Signup done",
            "event": "signup.completed",
            "survey_id": survey_id,
            "channel": "link",
            "delay_seconds": "60",
        },
    )
    assert made.status_code == 302
    with app.app_context():
        touchpoint = db.session.execute(select(Touchpoint)).unique().scalar_one()
        assert (touchpoint.delay_seconds, touchpoint.active) == (60, True)
        tp_id = touchpoint.id
        db.session.remove()
    assert (
        client.post(f"/app/touchpoints/{tp_id}/active", data={"csrf_token": token, "active": "0"}).status_code
        == 302
    )
    assert (
        client.post(
            f"/app/surveys/{survey_id}/status", data={"csrf_token": token, "status": "closed"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Touchpoint, tp_id).active is False
        assert db.session.get(Survey, survey_id).status == "closed"
        db.session.remove()
    assert "Signup done" in client.get("/app/surveys").text


def test_webapp_settings_keys_shown_once_revoked_and_users(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = login(client)
    page = client.get("/app/settings").text
    # Stored secrets are never displayed (rotating is the way to see a new one: test_settings_secrets.py).
    assert workspace.workspace.webhook_secret not in page and "whsec_" not in page
    created = client.post("/app/settings/keys", data={"csrf_token": token, "name": "CRM", "role": "ingest"})
    assert created.status_code == 201
    plain = re.search(r'id="new-key" class="secret copyable" readonly value="([^"]+)"', created.text).group(1)
    assert plain not in client.get("/app/settings").text
    with app.app_context():
        key = authenticate_key(db.session, plain)
        assert key is not None and key.role == "ingest"
        key_id = key.id
        db.session.remove()
    assert client.post("/app/settings/keys", data={"csrf_token": token, "role": "root"}).status_code == 422
    assert client.post(f"/app/settings/keys/{key_id}/revoke", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert authenticate_key(db.session, plain) is None
        assert db.session.get(ApiKey, key_id).revoked_at is not None
        db.session.remove()
    short = client.post(
        "/app/settings/users",
        data={"csrf_token": token, "email": "a@acme.test", "role": "analyst", "password": "short"},
    )
    assert short.status_code == 422 and "10 characters" in short.text
    added = client.post(
        "/app/settings/users",
        data={"csrf_token": token, "email": "a@acme.test", "role": "analyst", "password": "long enough pass"},
    )
    assert added.status_code == 302
    assert (
        client.post(
            "/app/settings/users",
            data={
                "csrf_token": token,
                "email": "a@acme.test",
                "role": "analyst",
                "password": "long enough pass",
            },
        ).status_code
        == 409
    )
    with app.app_context():
        assert (
            db.session.execute(select(User.role).where(User.email == "a@acme.test")).scalar_one() == "analyst"
        )
        db.session.remove()


def test_webapp_roadmap_pages_a_large_board(client, app, workspace):
    make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    with app.app_context():
        db.session.add_all(
            RoadmapItem(workspace_id=workspace.workspace.id, title=f"Idea {n:03d}", status="idea")
            for n in range(120)
        )
        db.session.commit()
        db.session.remove()
    login(client, "ana@acme.test")
    first = client.get("/app/roadmap").text
    titles = re.findall(r'<span class="item-title">(\d+)\. Idea (\d{3})</span>', first)
    assert len(titles) == 50 and titles[0][0] == "1"
    assert "Items 1–50 of 120 (page 1 of 3)" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/app/roadmap?page=3").text
    ranks = [
        int(rank) for rank, _ in re.findall(r'<span class="item-title">(\d+)\. Idea (\d{3})</span>', last)
    ]
    assert ranks == list(range(101, 121)) and 'rel="next"' not in last
    seen = {
        idea
        for page in (1, 2, 3)
        for _, idea in re.findall(r"(\d+)\. Idea (\d{3})<", client.get(f"/app/roadmap?page={page}").text)
    }
    assert len(seen) == 120  # every item exactly once across the pages
    for bad in ("0", "-1", "abc", "%C2%B2", "9999999"):
        assert client.get(f"/app/roadmap?page={bad}").status_code == 422, bad


def _keyword_items(app, workspace_id: str) -> dict[str, str]:
    """Two items naming no theme, linked by keyword: one to the integration complaints, one to
    the price complaint (tagged billing, the worst theme of the seeded feedback)."""
    ids = {}
    with app.app_context():
        workspace = db.session.get(Workspace, workspace_id)
        for title, keywords in (
            ("Connector rebuild", ["salesforce", "okta"]),
            ("Cheaper plan", ["expensive"]),
        ):
            item = create_item(
                db.session,
                workspace=workspace,
                data={"title": title, "status": "planned", "keywords": keywords},
            )
            db.session.commit()
            remap_item(db.session, item_id=item.id)
            db.session.commit()
            ids[title] = item.id
        db.session.remove()
    return ids


def test_webapp_headline_finds_the_item_whose_linked_feedback_carries_the_theme(client, app, workspace):
    """No item names the worst theme: the headline names the item whose linked answers of the
    survey and period carry it most, read from the link facts, or from the links themselves while
    the roadmap rollups wait for a rebuild."""
    from surveys.core.db import utcnow
    from surveys.metrics.models import RollupMark
    from surveys.roadmap.rollups import PENDING

    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    _keyword_items(app, workspace.workspace.id)
    login(client)

    def named_in(url: str) -> list[str]:
        return re.findall(r"Roadmap item “([^”]+)”", client.get(url).text)

    # Billing (the price complaint) and integrations cost the same here: either may be named.
    expected = {"billing": "Cheaper plan", "integrations": "Connector rebuild"}

    def check() -> None:
        page = client.get("/app").text
        theme = re.search(r"<p>“([^”]+)” comes up in 2 of the answers", page)
        assert theme is not None and theme[1] in expected, page
        assert re.findall(r"Roadmap item “([^”]+)”", page) == [expected[theme[1]]]

    check()
    with app.app_context():
        db.session.add(RollupMark(name=PENDING, at=utcnow()))
        db.session.commit()
        db.session.remove()
    check()  # the exact path over the links finds the same item
    with app.app_context():
        db.session.query(RollupMark).filter_by(name=PENDING).delete()
        db.session.commit()
        db.session.remove()
    # A period before any of the feedback: no theme to blame, no item named.
    assert client.get("/app?from=2020-01-01&to=2020-03-31").status_code == 200
    assert named_in("/app?from=2020-01-01&to=2020-03-31") == []
