"""The dashboard's intent panels in a real browser: "What customers ask for" beside "What they
complain about" on a desktop (side by side), a request theme with its count and quoted example
(customer markup shown as text, never run), and the link that opens the feedback filtered to that
theme's requests; no horizontal scrolling on a phone."""

from tests.e2e.test_webapp_browser import _login
from tests.support.intent import ASKS, HOSTILE_ASK, INTENT_COMMENTS
from tests.support.webapp import make_user, seed_feedback


def test_dashboard_intent_panels_link_to_the_asks(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id, INTENT_COMMENTS)
    _login(desktop, live_server.url)
    asks = desktop.get_by_role("region", name="What customers ask for")
    complaints = desktop.get_by_role("region", name="What they complain about")
    assert asks.is_visible() and complaints.is_visible()
    left, right = asks.bounding_box(), complaints.bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2  # side by side
    row = asks.locator("li", has_text="integrations")
    assert "3 requests" in row.inner_text()
    assert row.locator("q").inner_text() == HOSTILE_ASK  # the newest ask, as text
    assert complaints.locator("li", has_text="billing").is_visible()
    assert "3 requests" in desktop.locator("table.themes tr", has_text="integrations").inner_text()

    with desktop.expect_navigation():
        row.get_by_role("link", name="integrations").click()
    assert "/app/feedback?" in desktop.url and "intent=request" in desktop.url
    cards = desktop.locator("li.response")
    assert cards.count() == len(ASKS)
    assert desktop.get_by_text("Would love a Slack integration.").is_visible()
    assert desktop.get_by_text("Billing charged us twice").count() == 0
    desktop.wait_for_timeout(200)  # an injected handler would have fired by now
    assert desktop.dialogs == [] and desktop.console_errors == []


def test_dashboard_intent_panels_fit_a_phone(phone, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id, INTENT_COMMENTS)
    _login(phone, live_server.url)
    assert phone.get_by_role("region", name="What customers ask for").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.dialogs == [] and phone.console_errors == []
