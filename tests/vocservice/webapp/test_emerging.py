"""Emerging topics on the dashboard: ranked against everyday English with their lift and
variants, escaped, and one click turns a topic into a theme that the analysis then applies."""

from sqlalchemy import select

from surveys.analysis.models import Analysis, Theme
from surveys.core.db import db
from tests.support.webapp import csrf_of, login, make_user, seed_feedback

COMMENTS = (
    [("pro", 3, "The weather widget is blank every morning.")] * 3
    + [("pro", 4, "My widget froze again <b>today</b>.")] * 4
    + [("pro", 5, "Waited an hour for the page.")] * 6
)


def test_dashboard_ranks_topics_by_lift_and_one_click_makes_a_theme(app, client, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id, comments=COMMENTS)
    login(client)
    page = client.get(f"/app?survey={data['survey_id']}").text
    emerging = page[page.index('id="emerging-title"') : page.index('id="roadmap-title"')]
    # "page" is in more comments than "widget" but far more common in English: widget leads.
    assert emerging.index("<strong>widget</strong>") < emerging.index("<strong>page</strong>")
    assert "also: weather widget (3)" in emerging
    assert "as often as in everyday English" in emerging
    assert "<b>today</b>" not in emerging and "&lt;b&gt;today&lt;/b&gt;" in emerging

    response = client.post(
        "/app/emerging/theme",
        data={"phrase": "widget", "variant": ["weather widget"], "csrf_token": csrf_of(page), "next": "/app"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/app"
    with app.app_context():
        theme = db.session.execute(
            select(Theme).where(Theme.workspace_id == workspace.workspace.id, Theme.name == "Widget")
        ).scalar_one()
        assert theme.keywords == ["widget", "weather widget"]
        db.session.remove()
    # The theme change marks the matching answers for re-analysis; once analysed they carry it.
    from surveys.analysis import service as analysis

    with app.app_context():
        analysis.analyze_pending(db.session)
        tagged = [
            a
            for a in db.session.execute(select(Analysis)).scalars()
            if any(hit["name"] == "Widget" for hit in a.themes)
        ]
        assert len(tagged) == 7
        db.session.remove()
    after = client.get(f"/app?survey={data['survey_id']}").text
    emerging = after[after.index('id="emerging-title"') : after.index('id="roadmap-title"')]
    assert "<strong>widget</strong>" not in emerging  # covered by a theme now


def test_make_a_theme_refuses_an_empty_or_taken_name(app, client, workspace):
    make_user(app, workspace.workspace.id)
    token = login(client)
    empty = client.post("/app/emerging/theme", data={"phrase": "  ", "csrf_token": token})
    assert empty.status_code == 422 and "cannot become a theme" in empty.text
    first = client.post("/app/emerging/theme", data={"phrase": "dark mode", "csrf_token": token})
    assert first.status_code == 302
    again = client.post("/app/emerging/theme", data={"phrase": "dark mode", "csrf_token": token})
    assert again.status_code == 409
    with app.app_context():
        names = db.session.execute(
            select(Theme.name).where(Theme.workspace_id == workspace.workspace.id, Theme.name == "Dark mode")
        ).all()
        assert len(names) == 1
        db.session.remove()
