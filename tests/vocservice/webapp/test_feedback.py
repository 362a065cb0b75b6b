"""Feedback explorer: filters, paging, escaped highlighting, tag corrections that re-analysis
respects, and the formula-safe CSV export."""

import csv
import io
import re

from sqlalchemy import select

from surveys.analysis import service as analysis
from surveys.analysis.corrections import correct_hits
from surveys.analysis.models import Analysis, ResponseTheme, TagCorrection, Theme
from surveys.core.db import db
from surveys.metrics import theme_rollups
from surveys.metrics.theme_insights import theme_insights
from tests.support.webapp import COMMENTS, HOSTILE, login, make_user, seed_feedback
from vocservice.webapp.export import safe_cell
from vocservice.webapp.highlight import pieces


def _theme_id(app, workspace_id: str, name: str) -> str:
    with app.app_context():
        value = db.session.execute(
            select(Theme.id).where(Theme.workspace_id == workspace_id, Theme.name == name)
        ).scalar_one()
        db.session.remove()
    return value


def _themes_of(app, response_id: str) -> tuple[list[str], list[str]]:
    """(theme names in the stored analysis, theme ids in response_themes)."""
    with app.app_context():
        stored = db.session.execute(
            select(Analysis.themes).where(Analysis.response_id == response_id)
        ).scalar_one()
        rows = (
            db.session.execute(select(ResponseTheme.theme_id).where(ResponseTheme.response_id == response_id))
            .scalars()
            .all()
        )
        db.session.remove()
    return sorted(t["name"] for t in stored), sorted(rows)


def _mentions(app, workspace_id: str, survey_id: str, name: str, *, rebuild: bool = False) -> int:
    """The theme's mentions as the dashboard reads them (from fresh rollups after ``rebuild``)."""
    with app.app_context():
        if rebuild:
            theme_rollups.rebuild_themes(db.session)
            db.session.commit()
            assert theme_rollups.is_fresh(db.session)
        found = theme_insights(db.session, workspace_id=workspace_id, survey_id=survey_id)
        db.session.remove()
    return next((i["mentions"] for i in found["items"] if i["name"] == name), 0)


def _shown(html: str) -> int:
    return html.count('class="card response"')


def test_webapp_feedback_filters(client, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    login(client)
    assert _shown(client.get("/app/feedback").text) == len(COMMENTS)
    assert _shown(client.get("/app/feedback?attribute=plan&value=enterprise").text) == 3
    assert _shown(client.get("/app/feedback?category=detractor").text) == 4
    assert _shown(client.get("/app/feedback?category=promoter&attribute=plan&value=pro").text) == 1
    integrations = _theme_id(app, workspace.workspace.id, "integrations")
    page = client.get(f"/app/feedback?theme={integrations}").text
    assert _shown(page) == 2 and "Salesforce" in page
    assert _shown(client.get("/app/feedback?q=OKTA").text) == 1
    assert _shown(client.get("/app/feedback?q=100%25").text) == 0  # % is literal, not a wildcard
    negative = client.get("/app/feedback?sentiment=negative").text
    assert 0 < _shown(negative) < len(COMMENTS)
    # Dates: the newest answer is today, the others one day apart.
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    window = client.get(f"/app/feedback?from={today - timedelta(days=1)}&to={today}").text
    assert _shown(window) == 2
    assert _shown(client.get(f"/app/feedback?survey={data['survey_id']}").text) == len(COMMENTS)


def test_webapp_feedback_bad_filters_are_clear_4xx(client, app, workspace):
    make_user(app, workspace.workspace.id)
    login(client)
    assert client.get("/app/feedback?survey=sv_nope").status_code == 404
    assert client.get("/app/feedback?theme=th_nope").status_code == 404
    assert client.get("/app/feedback?segment=seg_nope").status_code == 404
    page = client.get("/app/feedback?from=yesterday")
    assert page.status_code == 200 and "must be a date" in page.text
    assert client.get("/app/feedback?cursor=garbage").status_code == 422
    assert client.get("/app/feedback?attribute=pl%27an&value=x").status_code == 200


def test_webapp_feedback_cursor_pages_through_everything(client, app, workspace):
    make_user(app, workspace.workspace.id)
    comments = [("pro", i % 11, f"comment number {i}") for i in range(60)]
    seed_feedback(app, workspace.workspace.id, comments, days_apart=0)
    login(client)
    seen, url = [], "/app/feedback"
    while url:
        page = client.get(url).text
        seen += re.findall(r'id="r-(rsp_[0-9A-Z]+)"', page)
        marker = 'rel="next"'
        url = None
        if marker in page:
            href = page.split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
            url = href.replace("&amp;", "&")
    assert len(seen) == 60 and len(set(seen)) == 60


def test_webapp_highlight_escapes_customer_text(client, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    login(client)
    page = client.get("/app/feedback").text
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<mark" in page  # evidence words are highlighted


def test_highlight_pieces_split_on_evidence():
    text = "slow <b>billing</b> page"
    themes = [
        {"name": "billing", "evidence": [{"text": "billing", "start": 8, "end": 15}]},
        {"name": "performance", "evidence": [{"text": "slow", "start": 0, "end": 4}]},
        {"name": "stale", "evidence": [{"text": "xx", "start": 0, "end": 2}]},
    ]
    result = pieces(text, themes)
    assert "".join(p.text for p in result) == text
    assert [(p.text, p.mark) for p in result if p.mark] == [("slow", True), ("billing", True)]
    assert pieces(None, themes) == []


def test_correct_hits_applies_verdicts():
    hits = [
        {
            "name": "billing",
            "sentiment": {"label": "negative", "compound": -0.5},
            "evidence": [{"text": "bill", "start": 0, "end": 4}],
        }
    ]
    assert correct_hits(hits, None) == hits
    assert correct_hits(hits, {"billing": "remove"}) == []
    added = correct_hits(hits, {"pricing": "add", "billing": "add"}, {"label": "positive", "compound": 0.4})
    assert [h["name"] for h in added] == ["billing", "pricing"]
    assert added[1]["evidence"] == [] and added[1]["sentiment"]["label"] == "positive"


def test_webapp_tag_correction_applied_and_kept_by_reanalysis(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    data = seed_feedback(app, workspace.workspace.id)
    token = login(client, "ana@acme.test")
    target = data["ids"][0]  # the Salesforce comment: found "integrations"
    integrations = _theme_id(app, workspace.workspace.id, "integrations")
    reporting = _theme_id(app, workspace.workspace.id, "reporting")
    names, ids = _themes_of(app, target)
    assert "integrations" in names and integrations in ids
    assert _mentions(app, workspace.workspace.id, data["survey_id"], "integrations", rebuild=True) == 2

    removed = client.post(
        f"/app/feedback/{target}/themes",
        data={
            "csrf_token": token,
            "theme_id": integrations,
            "action": "remove",
            "back": "/app/feedback?q=Salesforce",
        },
    )
    assert removed.status_code == 302
    assert removed.headers["Location"].startswith("/app/feedback?q=Salesforce")
    added = client.post(
        f"/app/feedback/{target}/themes", data={"csrf_token": token, "theme_id": reporting, "action": "add"}
    )
    assert added.status_code == 302
    names, ids = _themes_of(app, target)
    assert "integrations" not in names and "reporting" in names
    assert integrations not in ids and reporting in ids
    filtered = client.get(f"/app/feedback?theme={reporting}").text
    assert f'id="r-{target}"' in filtered
    # Theme insights (read from fresh rollups before) count the correction at once.
    assert _mentions(app, workspace.workspace.id, data["survey_id"], "integrations") == 1

    with app.app_context():
        rows = db.session.execute(select(TagCorrection)).scalars().all()
        assert {(r.theme_id, r.action, r.user_id) for r in rows} == {
            (integrations, "remove", user_id),
            (reporting, "add", user_id),
        }
        analysis.mark_for_reanalysis(db.session, workspace_id=workspace.workspace.id)
        db.session.commit()
        result = analysis.analyze_responses(db.session, response_ids=data["ids"])
        assert result.done == len(data["ids"])
        db.session.remove()
    names, ids = _themes_of(app, target)
    assert "integrations" not in names and "reporting" in names
    assert integrations not in ids and reporting in ids
    # The other Salesforce/SSO comment was not corrected and keeps its theme.
    assert "integrations" in _themes_of(app, data["ids"][1])[0]


def test_webapp_tag_correction_rejects_bad_input(client, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    token = login(client)
    reporting = _theme_id(app, workspace.workspace.id, "reporting")
    url = f"/app/feedback/{data['ids'][0]}/themes"
    assert (
        client.post(url, data={"csrf_token": token, "theme_id": reporting, "action": "explode"}).status_code
        == 422
    )
    assert client.post(url, data={"csrf_token": token, "action": "add"}).status_code == 422
    assert (
        client.post(url, data={"csrf_token": token, "theme_id": "th_nope", "action": "add"}).status_code
        == 404
    )
    assert (
        client.post(
            "/app/feedback/rsp_nope/themes",
            data={"csrf_token": token, "theme_id": reporting, "action": "add"},
        ).status_code
        == 404
    )
    assert client.post(url, data={"theme_id": reporting, "action": "add"}).status_code == 400
    with app.app_context():
        assert db.session.execute(select(TagCorrection)).first() is None
        db.session.remove()


def test_safe_cell_neutralises_formulas():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("fine = ok") == "fine = ok"
    assert safe_cell(None) == "" and safe_cell(7) == "7"


def test_webapp_feedback_csv_is_filtered_formula_safe_utf8(client, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    login(client)
    response = client.get("/app/feedback.csv?attribute=plan&value=starter")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 3 and {r["plan"] for r in rows} == {"starter"}
    formula = next(r for r in rows if "HYPERLINK" in r["comment"])
    assert formula["comment"].startswith("'=HYPERLINK")
    hostile = next(r for r in rows if "script" in r["comment"])
    assert hostile["comment"].startswith(HOSTILE)  # text, unchanged: CSV is not HTML
    everything = client.get("/app/feedback.csv").data.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(everything)))) == len(COMMENTS)


def test_webapp_feedback_delete_response_after_confirmation(client, app, workspace):
    from surveys.response.models import Response

    make_user(app, workspace.workspace.id, role="analyst")
    data = seed_feedback(app, workspace.workspace.id)
    token = login(client)
    page = client.get("/app/feedback").text
    victim = data["ids"][0]  # "The Salesforce integration drops records every night."
    assert _mentions(app, workspace.workspace.id, data["survey_id"], "integrations", rebuild=True) == 2
    action = f'action="/app/feedback/{victim}/delete"'
    # The delete form sits behind a disclosure that asks for confirmation (no JavaScript needed).
    assert action in page and "Yes, delete this response" in page
    assert page.index("<summary>Delete this response</summary>") < page.index(action)

    refused = client.post(f"/app/feedback/{victim}/delete", data={})  # no CSRF token
    assert refused.status_code == 400
    unknown = client.post("/app/feedback/rsp_nope/delete", data={"csrf_token": token})
    assert unknown.status_code == 404

    done = client.post(
        f"/app/feedback/{victim}/delete",
        data={"csrf_token": token, "back": "/app/feedback?category=detractor"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/app/feedback?category=detractor")
    after = client.get("/app/feedback").text
    assert "Response deleted" in after and _shown(after) == len(COMMENTS) - 1
    assert f"r-{victim}" not in after
    with app.app_context():
        assert db.session.get(Response, victim) is None
        assert db.session.execute(select(Analysis).where(Analysis.response_id == victim)).first() is None
        db.session.remove()
    # The victim was one of the two answers about integrations; a rebuild agrees.
    assert _mentions(app, workspace.workspace.id, data["survey_id"], "integrations") == 1
    assert _mentions(app, workspace.workspace.id, data["survey_id"], "integrations", rebuild=True) == 1
