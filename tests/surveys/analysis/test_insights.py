"""Emerging phrases from stored analyses, and the theme/sentiment filters of the response list."""

from datetime import timedelta

from surveys.core.db import utcnow
from tests.support.analysis import store_responses
from tests.support.helpers import create_survey

LOYALTY = [
    "I want loyalty points for every referral.",
    "Loyalty points would make me stay.",
    "Please add loyalty points to the account page.",
]


def _ids(body) -> set[str]:
    return {item["id"] for item in body["items"]}


def test_insights_emerging_finds_uncovered_recurring_phrases(app, client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    other = create_survey(client, workspace.headers, name="Support CSAT", kind="csat")
    ids = store_responses(
        app,
        workspace.workspace.id,
        [*LOYALTY, "The invoice was wrong.", "Invoice totals are off.", "Another invoice error."],
        survey_id=survey["id"],
    )
    store_responses(app, workspace.workspace.id, ["Loyalty points, please."], survey_id=other["id"])
    run_worker()
    body = client.get(
        f"/api/v1/insights/emerging?survey_id={survey['id']}", headers=workspace.key_headers("analyst")
    ).json
    assert body["comments"] == 6 and body["min_count"] == 3
    [item] = body["items"]  # "invoice" recurs too, but the billing theme covers it
    assert item["phrase"] == "loyalty point" and item["count"] == 3
    assert {e["response_id"] for e in item["examples"]} == set(ids[:3])
    assert {e["comment"] for e in item["examples"]} == set(LOYALTY)
    # Across surveys the fourth mention counts; a higher bar drops the phrase.
    everything = client.get("/api/v1/insights/emerging", headers=workspace.headers).json
    assert everything["items"][0]["count"] == 4
    strict = client.get("/api/v1/insights/emerging?min_count=5", headers=workspace.headers).json
    assert strict["items"] == []
    # Once a theme covers the phrase, it is no longer emerging (no re-parsing needed).
    client.post(
        "/api/v1/themes", headers=workspace.headers, json={"name": "loyalty", "keywords": ["loyalty points"]}
    )
    covered = client.get("/api/v1/insights/emerging", headers=workspace.headers).json
    assert "loyalty point" not in [i["phrase"] for i in covered["items"]]


def test_insights_emerging_time_window_and_validation(app, client, workspace, run_worker):
    store_responses(app, workspace.workspace.id, LOYALTY)
    run_worker()
    headers = workspace.headers
    future = (utcnow() + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/api/v1/insights/emerging?from={future}", headers=headers).json["comments"] == 0
    assert (
        client.get(f"/api/v1/insights/emerging?to={future}", headers=headers).json["items"][0]["count"] == 3
    )
    for query, field in (
        ("min_count=1", "min_count"),
        ("min_count=x", "min_count"),
        ("from=yesterday", "from"),
        ("limit=0", "limit"),
    ):
        response = client.get(f"/api/v1/insights/emerging?{query}", headers=headers)
        assert response.status_code == 422, query
        assert field in response.json["errors"], response.json
    assert client.get("/api/v1/insights/emerging?survey_id=sv_nope", headers=headers).status_code == 404
    assert client.get("/api/v1/insights/emerging", headers=workspace.key_headers("ingest")).status_code == 403


def test_responses_filter_by_theme_and_sentiment(app, client, workspace, run_worker):
    ws = workspace.workspace.id
    invoice, support, mixed, silent = store_responses(
        app,
        ws,
        [
            "The invoice was wrong and nobody fixed it. Terrible.",
            "Support was wonderful, thank you!",
            "The billing page is confusing but support was great.",
            None,
        ],
    )
    run_worker()
    headers = workspace.headers

    def listed(query: str) -> set[str]:
        response = client.get(f"/api/v1/responses?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return _ids(response.json)

    assert listed("theme=billing") == {invoice, mixed}
    assert listed("theme=SUPPORT") == {support, mixed}
    themes = client.get("/api/v1/themes?limit=500", headers=headers).json["items"]
    billing_id = next(t["id"] for t in themes if t["name"] == "billing")
    assert listed(f"theme={billing_id}") == {invoice, mixed}
    assert listed("sentiment=negative") == {invoice}
    assert listed("sentiment=positive") == {support, mixed}
    assert listed("theme=billing&sentiment=positive") == {mixed}
    assert silent in listed("limit=10") and silent not in listed("sentiment=neutral")
    # A sub-theme's responses are found under its parent.
    child = client.post(
        "/api/v1/themes",
        headers=headers,
        json={"name": "refunds", "keywords": ["nobody fixed"], "parent_id": None},
    ).json
    client.patch(
        f"/api/v1/themes/{child['id']}",
        headers=headers,
        json={"parent_id": next(t["id"] for t in themes if t["name"] == "pricing")},
    )
    run_worker()
    assert listed("theme=refunds") == {invoice}
    assert invoice in listed("theme=pricing")
    for query, field in (("theme=nope", "theme"), ("sentiment=angry", "sentiment")):
        response = client.get(f"/api/v1/responses?{query}", headers=headers)
        assert response.status_code == 422 and field in response.json["errors"]
