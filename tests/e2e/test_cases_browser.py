"""The cases inbox in a real browser: open /app/cases from the navigation, filter by theme,
open a case, change its status; on a phone the inbox does not scroll sideways."""

from sqlalchemy import select

from surveys.case.models import Case
from surveys.core.db import db
from tests.support.webapp import PASSWORD, make_user, seed_feedback


def _login(page, base: str) -> None:
    page.goto(f"{base}/app/login")
    page.get_by_label("Email").fill("pm@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_cases_browser_filter_open_and_change_status(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    _login(desktop, live_server.url)
    desktop.get_by_role("link", name="Cases", exact=True).click()
    desktop.wait_for_url(f"{live_server.url}/app/cases")
    rows = desktop.locator("table.cases tbody tr")
    assert rows.count() == 4  # the four detractors of the eight answers
    filters = desktop.get_by_role("form", name="Filter cases")
    filters.get_by_label("Theme").select_option(label="integrations")
    with desktop.expect_navigation():
        filters.get_by_role("button", name="Apply filters").click()
    assert rows.count() == 2
    with app.app_context():
        case_id = db.session.execute(select(Case.id).where(Case.response_id == data["ids"][0])).scalar_one()
        db.session.remove()
    with desktop.expect_navigation():
        desktop.locator(f"#case-{case_id} a").click()
    assert "Salesforce" in desktop.locator("blockquote.comment mark").all_inner_texts()
    desktop.get_by_label("Status", exact=True).select_option("contacted")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Change status").click()
    assert "Status: contacted." in desktop.get_by_role("status").first.inner_text()
    assert desktop.locator("#state-title .status").first.inner_text().lower() == "contacted"
    assert "Status: open → contacted." in desktop.locator("#notes").inner_text()
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status == "contacted" and case.first_contacted_at is not None
        db.session.remove()
    assert desktop.dialogs == [] and desktop.console_errors == []


def test_cases_browser_phone_no_sideways_scroll(phone, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    _login(phone, live_server.url)
    phone.goto(f"{live_server.url}/app/cases")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
