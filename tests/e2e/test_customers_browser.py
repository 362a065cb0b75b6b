"""Customers in a real browser: the list, a customer's page with its health explained, the
timeline (a suppressed invitation with its reason, the answer with the event that triggered it,
a hostile comment shown as text), an account page, and no horizontal scroll on a phone."""

from tests.support.customers import HOSTILE, story
from tests.support.webapp import PASSWORD, make_user


def _login(page, base: str) -> None:
    page.goto(f"{base}/app/login")
    page.get_by_label("Email").fill("pm@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_customers_browser_list_and_customer_page(desktop, live_server, app, client, workspace, run_worker):
    story(client, workspace.headers)
    run_worker()
    make_user(app, workspace.workspace.id)
    _login(desktop, live_server.url)
    # The dashboard shows the bands.
    assert desktop.get_by_role("heading", name="Customer health").is_visible()
    desktop.get_by_role("link", name="Customers", exact=True).click()
    desktop.wait_for_url("**/app/customers")
    rows = desktop.locator("table.customers tbody tr")
    assert rows.count() == 10
    assert "cust-1" in rows.first.inner_text()  # worst health first
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="cust-1").click()
    assert desktop.get_by_role("heading", level=1).inner_text() == "cust-1"
    factors = desktop.locator("ul.factors li")
    assert "last NPS 0" in factors.first.inner_text()
    timeline = desktop.locator("ol.timeline")
    assert "recently contacted" in timeline.inner_text()
    answer = desktop.locator("li.entry-answer")
    assert answer.locator("blockquote.comment").inner_text() == HOSTILE  # text, not markup
    assert "Triggered by order.delivered" in answer.locator("p.trigger").inner_text()
    assert "o-77" in answer.locator("p.trigger").inner_text()
    # Its account, and the account list.
    with desktop.expect_navigation():
        desktop.locator("dl").get_by_role("link", name="Globex").click()
    assert desktop.get_by_role("heading", level=1).inner_text() == "Globex"
    assert desktop.locator("table tbody tr").count() == 1
    desktop.get_by_role("link", name="Accounts", exact=True).click()
    desktop.wait_for_url("**/app/accounts")
    assert desktop.locator("table tbody tr").count() == 2
    desktop.get_by_role("link", name="Revenue concentration").click()
    desktop.wait_for_url("**/app/customers/revenue")
    assert (
        desktop.get_by_role("img", name="Cumulative share of revenue").is_visible()
        or desktop.locator("svg.pareto").is_visible()
    )
    assert desktop.dialogs == [] and desktop.console_errors == []


def test_customers_browser_phone_has_no_horizontal_scroll(phone, live_server, app, client, workspace):
    story(client, workspace.headers)
    make_user(app, workspace.workspace.id)
    _login(phone, live_server.url)
    contact = client.get("/api/v1/contacts?attributes.plan=pro", headers=workspace.headers).json["items"][0]
    for path in (
        "/app/customers",
        f"/app/customers/{contact['id']}",
        "/app/accounts",
        "/app/accounts/Globex",
        "/app/customers/health",
        "/app/customers/revenue",
    ):
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > 376 && !el.closest('.table-wrap'))
            .map(el => el.tagName + '.' + el.className).slice(0, 8)""")
        assert width <= 375, (path, width, wide)
    assert phone.dialogs == [] and phone.console_errors == []
