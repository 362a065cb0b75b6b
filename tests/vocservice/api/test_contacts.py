"""GET /api/v1/contacts, /contacts/{id}, /accounts, /accounts/{key}, the health settings and the
answers' event snapshot."""

import pytest

from tests.support.customers import HOSTILE, answer, story
from tests.support.helpers import create_survey


def _list(client, workspace, query=""):
    response = client.get(f"/api/v1/contacts{query}", headers=workspace.headers)
    assert response.status_code == 200, response.json
    return response.json


def test_contacts_detail_has_timeline_with_suppression_and_event_snapshot(client, workspace, run_worker):
    made = story(client, workspace.headers)
    run_worker()
    listed = _list(client, workspace, "?attributes.plan=pro")
    assert [c["external_id"] for c in listed["items"]] == ["cust-1"]
    customer = listed["items"][0]
    assert customer["revenue"] == 12000 and customer["account"] == "Globex"
    assert customer["health"]["band"] == "at_risk"
    assert customer["health"]["factors"][0]["text"].endswith("last NPS 0")
    detail = client.get(f"/api/v1/contacts/{customer['id']}", headers=workspace.headers).json
    kinds = [entry["kind"] for entry in detail["timeline"]]
    # The answer of 0 opened a case under the default rule: it is on the timeline too.
    assert sorted(kinds) == ["answer", "case", "event", "event", "invitation", "invitation"]
    invitations = [e["data"] for e in detail["timeline"] if e["kind"] == "invitation"]
    assert {i["status"] for i in invitations} == {"responded", "suppressed"}
    assert next(i for i in invitations if i["status"] == "suppressed")["reason"] == "recently_contacted"
    answered = next(e["data"] for e in detail["timeline"] if e["kind"] == "answer")
    assert answered["comment"] == HOSTILE
    assert answered["event"]["name"] == "order.delivered"
    assert answered["event"]["external_id"] == made["event"]["id"]
    assert answered["event"]["properties"] == {"order_id": "o-77"}
    assert answered["analysis"]["status"] == "done"
    # The same snapshot with every answer of the responses API.
    responses = client.get("/api/v1/responses", headers=workspace.headers).json["items"]
    by_id = {r["id"]: r for r in responses}
    assert by_id[answered["id"]]["event"]["name"] == "order.delivered"
    assert all(r["event"] is None for r in responses if r["id"] != answered["id"])


def test_contacts_odd_revenue_values_are_not_numbers(client, workspace):
    story(client, workspace.headers)
    items = _list(client, workspace, "?sort=-revenue&limit=500")["items"]
    revenue = {c["external_id"]: c["revenue"] for c in items}
    assert revenue["big-1"] == 90000 and revenue["cust-1"] == 12000 and revenue["small-1"] == 500
    assert all(revenue[f"odd-{i}"] is None for i in range(7))
    # Customers with a revenue first, largest first; those without it last.
    assert [c["external_id"] for c in items[:3]] == ["big-1", "cust-1", "small-1"]


def test_contacts_keyset_pages_cover_every_customer_once(client, workspace):
    survey = create_survey(client, workspace.headers)
    for i in range(23):
        attributes = {"arr": (i % 5) * 100} if i % 4 else {}
        answer(client, workspace.headers, survey["id"], f"k-{i:02d}", i % 11, attributes=attributes)
    for sort in ("health", "-health", "revenue", "-revenue", "last_answer", "-last_answer"):
        seen, cursor = [], None
        while True:
            page = _list(client, workspace, f"?sort={sort}&limit=4" + (f"&cursor={cursor}" if cursor else ""))
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(c["external_id"] for c in seen) == [f"k-{i:02d}" for i in range(23)], sort
        name = {"health": "health", "revenue": "revenue", "last_answer": "last_answer_at"}[sort.lstrip("-")]
        values = [c["health"]["score"] if name == "health" else c[name] for c in seen]
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=sort.startswith("-")), sort
        assert values[len(present) :] == [None] * (len(values) - len(present)), sort


def test_contacts_filters_band_at_risk_account_segment(client, workspace):
    story(client, workspace.headers)
    at_risk = _list(client, workspace, "?at_risk=true")["items"]
    assert {c["external_id"] for c in at_risk} == {"cust-1"}
    healthy = _list(client, workspace, "?band=healthy&limit=100")["items"]
    assert all(c["health"]["band"] == "healthy" for c in healthy) and len(healthy) == 8
    initech = _list(client, workspace, "?account=Initech&limit=100")["items"]
    assert len(initech) == 8
    segment = client.post(
        "/api/v1/segments",
        json={"name": "Pro", "conditions": [{"field": "attributes.plan", "op": "eq", "value": "pro"}]},
        headers=workspace.headers,
    ).json
    assert [c["external_id"] for c in _list(client, workspace, f"?segment_id={segment['id']}")["items"]] == [
        "cust-1"
    ]


@pytest.mark.parametrize(
    "query", ["?sort=name", "?band=red", "?cursor=%%%", "?cursor=WzIsMSwieCJd", "?limit=0", "?at_risk=maybe"]
)
def test_contacts_bad_query_is_a_problem(client, workspace, query):
    response = client.get(f"/api/v1/contacts{query}", headers=workspace.headers)
    assert response.status_code in (400, 422)
    assert response.content_type == "application/problem+json"


def test_contacts_unknown_or_other_workspace_is_404(client, workspace):
    assert client.get("/api/v1/contacts/ct_nope", headers=workspace.headers).status_code == 404
    assert client.get("/api/v1/accounts/Nobody", headers=workspace.headers).status_code == 404


def test_contacts_ingest_key_cannot_read(client, workspace):
    assert client.get("/api/v1/contacts", headers=workspace.key_headers("ingest")).status_code == 403


def test_accounts_list_and_page(client, workspace):
    story(client, workspace.headers)
    accounts = client.get("/api/v1/accounts?sort=-revenue", headers=workspace.headers).json["items"]
    assert [a["key"] for a in accounts] == ["Initech", "Globex"]
    assert accounts[0]["contacts"] == 8 and accounts[0]["revenue"] == 90000
    assert accounts[1]["at_risk_contacts"] == 1
    page = client.get("/api/v1/accounts/Globex", headers=workspace.headers).json
    assert [m["external_id"] for m in page["members"]["items"]] == ["cust-1"]
    assert page["health"]["factors"][0]["note"].startswith("mean ")


@pytest.mark.parametrize(
    "body",
    [
        {"weights": {"latest_score": -1}},
        {"weights": {"latest_score": "NaN"}},
        {"weights": {"latest_score": 1e308 * 10 if False else "inf"}},
        {"weights": {"astrology": 5}},
        {"weights": {"latest_score": True}},
        {
            "weights": {
                name: 0
                for name in (
                    "latest_score",
                    "score_trend",
                    "comment_sentiment",
                    "recency",
                    "response_rate",
                    "cases",
                )
            }
        },
        {"bands": {"watch": 80, "healthy": 60}},
        {"bands": {"healthy": -5}},
        {"bands": {"purple": 50}},
        {"decline_days": 0},
        {"account_attribute": "a b"},
    ],
)
def test_health_settings_nonsense_is_422_and_nothing_stored(client, workspace, body):
    before = client.get("/api/v1/workspace/health", headers=workspace.headers).json
    response = client.patch("/api/v1/workspace/health", json=body, headers=workspace.headers)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert client.get("/api/v1/workspace/health", headers=workspace.headers).json == before


def test_health_settings_nan_literal_is_refused(client, workspace):
    raw = b'{"weights": {"latest_score": NaN}}'
    response = client.patch(
        "/api/v1/workspace/health",
        data=raw,
        headers={**workspace.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)


def test_health_settings_change_and_role(client, workspace):
    body = {"weights": {"recency": 0}, "bands": {"healthy": 80}, "churn_events": ["subscription.cancelled"]}
    assert (
        client.patch(
            "/api/v1/workspace/health", json=body, headers=workspace.key_headers("analyst")
        ).status_code
        == 403
    )
    changed = client.patch("/api/v1/workspace/health", json=body, headers=workspace.headers).json
    weights = {f["name"]: f["weight"] for f in changed["factors"]}
    assert weights["recency"] == 0 and weights["latest_score"] == 40
    assert changed["bands"] == {"watch": 40, "healthy": 80}
    assert changed["churn_events"] == ["subscription.cancelled"]
