"""A shipped roadmap item's page in a real browser: the outcome block shows the linked
customers' significant improvement beside the comparison group's "no significant change", and
the theme row where nothing can be concluded says so."""

import re

from tests.support.outcome import seed_shipped_item
from tests.support.webapp import PASSWORD, make_user


def test_roadmap_outcome_block_in_the_browser(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_shipped_item(app, workspace.workspace.id)
    base = live_server.url
    desktop.goto(f"{base}/app/login")
    desktop.get_by_label("Email").fill("pm@acme.test")
    desktop.get_by_label("Password").fill(PASSWORD)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Log in").click()
    desktop.goto(f"{base}/app/roadmap")
    desktop.get_by_text("Salesforce sync v2").first.click()
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="Open the item's page: did shipping help?").click()
    assert desktop.url == f"{base}/app/roadmap/{data['item_id']}"
    block = desktop.locator("#outcome")
    assert block.get_by_role("heading", name="Did shipping help?").is_visible()
    scores = block.locator("table.outcome-scores")
    linked, comparison = scores.locator("tr.group-linked"), scores.locator("tr.group-comparison")
    assert linked.locator("td.verdict").inner_text() == "improved (significant)"
    assert comparison.locator("td.verdict").inner_text() == "no significant change"
    assert "95% CI" in linked.inner_text()
    chart = block.get_by_role("img", name=re.compile("Linked: .* improved \\(significant\\)"))
    assert chart.is_visible() and chart.bounding_box()["width"] > 300
    assert "Not linked: +0.0" in chart.get_attribute("aria-label")
    themes = block.locator("table.outcome-themes")
    assert "integrations" in themes.inner_text()
    assert "too few answers to conclude" in themes.inner_text()
    # No touchpoint yet: the re-survey block says what to do instead of offering a dead button.
    assert desktop.locator("#resurvey").get_by_text("No active touchpoint to ask them through").is_visible()
    assert desktop.dialogs == [] and desktop.console_errors == []
