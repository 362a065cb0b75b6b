"""``DELETE /api/v1/responses/{id}``: who may, what a stranger sees, and figures that stay exact
afterwards (daily rollups, theme rollups, roadmap impact equal to recomputations from the rows
that remain), with nothing left behind that pointed at the answer."""

from collections import defaultdict

from sqlalchemy import func, select

from surveys.analysis.corrections import correct_tag
from surveys.analysis.models import Analysis, ResponseTheme, TagCorrection, Theme
from surveys.core.db import db
from surveys.metrics import theme_rollups
from surveys.metrics.models import SCORE_COLUMNS, DailyRollup, ThemeRollup
from surveys.metrics.rollups import rebuild
from surveys.response.models import Response
from surveys.roadmap.models import LINKED, RoadmapLink
from surveys.workspace.service import create_api_key, create_workspace
from tests.support.helpers import create_survey

URL = "/api/v1/responses"
COMMENTS = [
    ("c-1", 2, 50_000, "The reports are slow and the export is slow too."),
    ("c-1", 3, 50_000, "Billing charged us twice, support was slow to answer."),
    ("c-2", 9, 12_000, "Great product, support answered within minutes."),
    ("c-2", 4, 12_000, "Too slow when we filter reports by quarter."),
    ("c-3", 6, 3_000, "The price is too high for a small team."),
    ("c-3", 10, 3_000, "Love the editor, it is fast and intuitive."),
    ("c-4", 1, 90_000, "SSO keeps failing and the dashboard is slow."),
    ("c-4", 8, 90_000, "Onboarding was smooth, documentation is clear."),
]


def _post(client, headers, survey_id: str, contact: str, score: int, arr: int, comment: str) -> str:
    reply = client.post(
        URL,
        headers=headers,
        json={
            "survey_id": survey_id,
            "score": score,
            "comment": comment,
            "contact": {"external_id": contact, "attributes": {"arr": arr, "plan": f"p{arr}"}},
        },
    )
    assert reply.status_code == 201, reply.json
    return reply.json["id"]


def _stranger(app) -> dict:
    with app.app_context():
        other = create_workspace(db.session, name="Other", slug="other")
        key = create_api_key(db.session, workspace=other, role="admin")[1]
        db.session.commit()
        db.session.remove()
    return {"Authorization": f"Bearer {key}"}


def test_responses_delete_roles_isolation_and_problems(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    first = _post(client, workspace.headers, survey["id"], "c-1", 3, 100, "slow")
    second = _post(client, workspace.headers, survey["id"], "c-2", 9, 100, "fast")

    assert client.delete(f"{URL}/{first}").status_code == 401
    assert client.delete(f"{URL}/{first}", headers=workspace.key_headers("ingest")).status_code == 403
    for headers, target in ((_stranger(app), first), (workspace.headers, "rsp_unknown")):
        reply = client.delete(f"{URL}/{target}", headers=headers)
        assert reply.status_code == 404 and reply.mimetype == "application/problem+json", reply.json
    assert client.get(f"{URL}/{first}", headers=workspace.headers).status_code == 200  # untouched

    assert client.delete(f"{URL}/{first}", headers=workspace.key_headers("analyst")).status_code == 204
    assert client.delete(f"{URL}/{first}", headers=workspace.headers).status_code == 404
    assert client.get(f"{URL}/{first}", headers=workspace.headers).status_code == 404
    assert client.delete(f"{URL}/{second}", headers=workspace.headers).status_code == 204
    assert client.get(URL, headers=workspace.headers).json["items"] == []

    document = client.get("/api/openapi.json").json
    operation = document["paths"]["/api/v1/responses/{response_id}"]["delete"]
    assert {"204", "404"} <= set(operation["responses"]) and operation["security"]


def _daily(session) -> dict:
    session.expire_all()
    return {
        (r.survey_id, r.day, r.touchpoint_key, r.dim, r.value): (
            r.responses,
            r.commented,
            *[getattr(r, c) for c in SCORE_COLUMNS],
        )
        for r in session.execute(select(DailyRollup)).scalars()
        if r.responses or r.commented
    }


def _themes(session) -> dict:
    session.expire_all()
    return {
        (r.survey_id, r.day, r.theme_id): (
            r.mentions,
            r.positive,
            r.neutral,
            r.negative,
            round(r.compound_sum, 6),
            *[getattr(r, c) for c in SCORE_COLUMNS],
        )
        for r in session.execute(select(ThemeRollup)).scalars()
        if r.mentions
    }


def _expected_impact(session, item_id: str) -> dict:
    """Responses, detractors, customers and revenue straight from the remaining rows."""
    rows = session.execute(
        select(Response.contact_id, Response.score, Response.attributes, Response.submitted_at, Response.id)
        .join(RoadmapLink, RoadmapLink.response_id == Response.id)
        .where(RoadmapLink.item_id == item_id, RoadmapLink.source.in_(LINKED))
    ).all()
    latest: dict[str, tuple] = {}
    for contact, _, attributes, at, rid in rows:
        if contact not in latest or (at, rid) > latest[contact][0]:
            latest[contact] = ((at, rid), attributes.get("arr", 0))
    return {
        "responses": len(rows),
        "detractors": sum(1 for r in rows if r.score <= 6),
        "customers": len(latest),
        "revenue": sum(v for _, v in latest.values()),
    }


def _references(session, response_id: str) -> dict:
    return {
        model.__name__: session.execute(
            select(func.count()).select_from(model).where(model.response_id == response_id)
        ).scalar_one()
        for model in (Analysis, ResponseTheme, TagCorrection, RoadmapLink)
    }


def test_responses_delete_keeps_rollups_theme_rollups_and_impact_exact(
    app, client, workspace, db_session, run_worker
):
    h = workspace.headers
    survey = create_survey(client, h)
    ids = [_post(client, h, survey["id"], *row) for row in COMMENTS]
    run_worker()  # analyse them with the real analyser
    theme_rollups.rebuild_themes(db_session)  # theme rollups exist, so deletes must refresh them
    db_session.commit()
    item = client.post("/api/v1/roadmap-items", headers=h, json={"title": "Speed", "keywords": ["slow"]}).json
    run_worker()  # the item's keyword mapping
    victim = ids[0]  # slow, detractor, customer c-1 (the top revenue of the item with c-4)
    assert client.post(f"/api/v1/roadmap-items/{item['id']}/links", headers=h, json={"response_id": ids[2]})
    ws_id = workspace.workspace.id
    theme = db_session.execute(
        select(Theme).where(Theme.workspace_id == ws_id, Theme.name == "pricing")
    ).scalar()
    theme = theme or db_session.execute(select(Theme).where(Theme.workspace_id == ws_id)).scalars().first()
    correct_tag(
        db_session, workspace_id=ws_id, response_id=victim, theme_id=theme.id, action="add", user_id=None
    )
    db_session.commit()
    before = client.get(f"/api/v1/roadmap-items/{item['id']}", headers=h).json["impact"]
    assert all(_references(db_session, victim).values()), _references(db_session, victim)
    assert before["responses"] >= 4 and before["customers"] >= 3

    assert client.delete(f"{URL}/{victim}", headers=h).status_code == 204
    db_session.expire_all()

    assert _references(db_session, victim) == dict.fromkeys(_references(db_session, victim), 0)
    assert db_session.get(Response, victim) is None
    after = client.get(f"/api/v1/roadmap-items/{item['id']}", headers=h).json["impact"]
    expected = _expected_impact(db_session, item["id"])
    assert {k: after[k] for k in expected} == expected
    assert after["responses"] == before["responses"] - 1 and after["detractors"] == before["detractors"] - 1
    ranked = client.get("/api/v1/roadmap-items?sort=impact", headers=h).json["items"]
    assert {k: v for k, v in ranked[0]["impact"].items() if k != "score"} == after

    incremental, themes = _daily(db_session), _themes(db_session)
    rebuild(db_session)
    theme_rollups.rebuild_themes(db_session)
    db_session.commit()
    assert incremental == _daily(db_session)
    assert themes == _themes(db_session) and themes
    totals = defaultdict(int)
    for key, value in incremental.items():
        if key[3] == "":
            totals["responses"] += value[0]
    assert totals["responses"] == len(COMMENTS) - 1
    metrics = client.get(f"/api/v1/metrics?survey_id={survey['id']}", headers=h).json
    assert metrics["overall"]["responses"] == len(COMMENTS) - 1
