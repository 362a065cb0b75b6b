"""The customer pages without a browser: empty states that say what to do, customer text
escaped, bad filters as an error page, not a 5xx; the dashboard's health panel."""

from tests.support.customers import HOSTILE, story
from tests.support.webapp import login, make_user


def test_customers_pages_empty_states_say_what_to_do(client, app, workspace):
    make_user(app, workspace.workspace.id)
    login(client)
    assert "Customers appear here with their first answer" in client.get("/app/customers").text
    assert "to group them" in client.get("/app/accounts").text
    assert "Name your churn events first" in client.get("/app/customers/health").text
    assert "No customer has a revenue figure yet" in client.get("/app/customers/revenue").text


def test_customers_pages_escape_customer_text_and_refuse_bad_filters(client, app, workspace):
    story(client, workspace.headers)
    make_user(app, workspace.workspace.id)
    login(client)
    contact = client.get("/api/v1/contacts?attributes.plan=pro", headers=workspace.headers).json["items"][0]
    page = client.get(f"/app/customers/{contact['id']}").text
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "recently contacted" in page and "Triggered by <strong>order.delivered</strong>" in page
    for url in ("/app/customers?sort=evil", "/app/customers?band=purple", "/app/accounts?sort=x"):
        assert client.get(url).status_code == 422
    assert client.get("/app/customers/ct_unknown").status_code == 404
    assert client.get("/app/accounts/Nobody").status_code == 404
    listing = client.get("/app/customers?risk=at_risk").text
    assert "cust-1" in listing and "big-1" not in listing
    dashboard = client.get("/app").text
    assert "Customer health" in dashboard
    revenue = client.get("/app/customers/revenue").text
    assert "<svg" in revenue and "carry" in revenue
    feedback = client.get("/app/feedback").text
    assert "Triggered by <strong>order.delivered</strong>" in feedback
    csv_text = client.get("/app/feedback.csv").data.decode("utf-8-sig")
    assert "order.delivered" in csv_text and "o-77" in csv_text
