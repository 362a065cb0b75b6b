"""The dashboard's funnel panel in a real browser (system Chromium): readable on a 375 px phone
without horizontal scrolling (long event names included), its table one click away."""

from tests.support.funnel import seed_funnel
from tests.support.webapp import PASSWORD, make_user, seed_feedback


def test_funnel_browser_phone_has_no_horizontal_scroll(phone, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    seed_funnel(app, workspace.workspace.id, data["survey_id"])
    phone.goto(f"{live_server.url}/app")
    phone.get_by_label("Email").fill("pm@acme.test")
    phone.get_by_label("Password").fill(PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Log in").click()
    panel = phone.get_by_role("region", name="From event to answer")
    panel.scroll_into_view_if_needed()
    assert panel.is_visible()
    bars = panel.locator("ul.funnel-bars li")
    assert bars.count() == 5
    assert bars.nth(0).inner_text().split() == ["Events", "6"]
    answered = panel.locator("ul.funnel-bars li").nth(4).locator("svg rect.pos")
    events = panel.locator("ul.funnel-bars li").nth(0).locator("svg rect.pos")
    # Drawn to scale: two answers of six events is a third of the width.
    ratio = answered.bounding_box()["width"] / events.bounding_box()["width"]
    assert 0.3 < ratio < 0.37
    panel.get_by_text("Show the funnel as a table").click()
    assert panel.locator("table tbody tr").count() == 1
    width = phone.evaluate("document.documentElement.scrollWidth")
    wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > 376 && !el.closest('.table-wrap'))
        .map(el => el.tagName + '.' + el.className).slice(0, 8)""")
    assert width <= 375, (width, wide)
    assert phone.dialogs == [] and phone.console_errors == []
