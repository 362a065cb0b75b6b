"""The web app in a real browser (system Chromium through Playwright) against a real server
thread: log in, read the dashboard, filter feedback, correct a tag, and a hostile comment that
shows as text and runs nothing; no horizontal scrolling on a 375 px phone."""

import re

from sqlalchemy import select

from surveys.analysis.models import ResponseTheme, Theme
from surveys.core.db import db
from tests.support.webapp import HOSTILE, PASSWORD, make_user, seed_feedback


def _login(page, base: str) -> None:
    page.goto(f"{base}/app")
    assert page.url.startswith(f"{base}/app/login")
    page.get_by_label("Email").fill("pm@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url == f"{base}/app"


def test_webapp_browser_dashboard(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    _login(desktop, live_server.url)
    assert desktop.get_by_role("heading", level=1).inner_text().startswith("Dashboard")
    assert desktop.locator("p.big").first.inner_text() == "-12"  # 3 promoters, 4 detractors of 8
    chart = desktop.get_by_role("img", name=re.compile("NPS by week"))
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 600
    desktop.get_by_text("Show the data as a table").click()
    assert desktop.locator("details table tbody tr").count() >= 1
    assert desktop.get_by_role("heading", name="NPS by plan").is_visible()
    assert desktop.locator("table.themes").get_by_role("link", name="integrations").is_visible()
    # Also among what customers complain about (the panel links to those mentions).
    assert desktop.locator("#complaints").get_by_role("link", name="integrations").is_visible()
    # Keyboard users can skip the navigation: it is the first thing Tab reaches.
    desktop.reload()
    desktop.keyboard.press("Tab")
    assert desktop.evaluate("document.activeElement.textContent") == "Skip to content"
    assert desktop.dialogs == [] and desktop.console_errors == []


def test_webapp_browser_filter_and_correct_a_tag(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    _login(desktop, live_server.url)
    desktop.get_by_role("link", name="Feedback", exact=True).click()
    filters = desktop.get_by_role("form", name="Filter feedback")
    filters.get_by_label("Theme", exact=True).select_option(label="integrations")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Apply filters").click()
    cards = desktop.locator("li.response")
    assert cards.count() == 2
    first = desktop.locator(f"#r-{data['ids'][0]}")
    assert "Salesforce" in first.locator("mark").all_inner_texts()  # the evidence, highlighted

    with desktop.expect_navigation():
        first.get_by_role("button", name="Remove theme integrations").click()
    assert "re-analysis keeps your correction" in desktop.get_by_role("status").first.inner_text()
    # Still filtered by the theme, the corrected response is gone from the list.
    assert desktop.locator("li.response").count() == 1

    desktop.goto(f"{live_server.url}/app/feedback?q=Salesforce")
    card = desktop.locator(f"#r-{data['ids'][0]}")
    card.get_by_text("Add a missing theme").click()
    card.get_by_label("Theme to add").select_option(label="reporting")
    with desktop.expect_navigation():
        card.get_by_role("button", name="Add theme").click()
    assert desktop.locator(f"#r-{data['ids'][0]} .chip", has_text="reporting").is_visible()
    with app.app_context():
        names = set(
            db.session.execute(
                select(Theme.name)
                .join(ResponseTheme, ResponseTheme.theme_id == Theme.id)
                .where(ResponseTheme.response_id == data["ids"][0])
            ).scalars()
        )
        db.session.remove()
    assert "reporting" in names and "integrations" not in names
    assert desktop.dialogs == []


def test_webapp_browser_hostile_comment_is_text(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    _login(desktop, live_server.url)
    desktop.goto(f"{live_server.url}/app/feedback?q=onerror")
    comment = desktop.locator("blockquote.comment")
    assert comment.count() == 1
    assert comment.inner_text().startswith(HOSTILE)
    assert desktop.locator("main img").count() == 0
    assert desktop.locator("main script").count() == 0
    desktop.goto(f"{live_server.url}/app")  # also quoted on the dashboard (emerging topics)
    desktop.wait_for_timeout(300)  # give an injected handler the chance to fire
    assert desktop.dialogs == []


def test_webapp_browser_phone_has_no_horizontal_scroll(phone, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    _login(phone, live_server.url)
    for path in ("/app", "/app/feedback", "/app/roadmap", "/app/surveys", "/app/settings"):
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > 376 && !el.closest('.table-wrap'))
            .map(el => el.tagName + '.' + el.className).slice(0, 8)""")
        assert width <= 375, (path, width, wide)
    assert phone.dialogs == [] and phone.console_errors == []
