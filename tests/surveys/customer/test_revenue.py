"""Revenue at risk per theme, per attribute group and per roadmap item, and the concentration
view, on hand-worked figures (odd revenue values count as no revenue, never an error)."""

import pytest

from surveys.customer import revenue
from tests.support.customers import answer
from tests.support.helpers import create_survey

PEOPLE = [
    # external id, arr, plan, score, comment
    ("r-a", 1000, "pro", 2, "The billing is awful."),
    ("r-b", 5000, "pro", 9, "The billing is great."),
    ("r-c", 3000, "basic", 9, "Billing was terrible, the rest is fine."),
    ("r-d", "n/a", "basic", 3, "Billing is bad."),
    ("r-e", 7000, "basic", 4, None),
]


@pytest.fixture
def data(client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    for external_id, arr, plan, score, comment in PEOPLE:
        answer(
            client,
            workspace.headers,
            survey["id"],
            external_id,
            score,
            comment,
            attributes={"arr": arr, "plan": plan},
        )
    run_worker()
    return survey


def test_revenue_at_risk_per_theme_in_insights(client, workspace, data):
    items = client.get(f"/api/v1/insights/themes?survey_id={data['id']}", headers=workspace.headers).json[
        "items"
    ]
    billing = next(i for i in items if i["name"] == "billing")
    # Mentioned by a, b, c, d: revenue 1000 + 5000 + 3000 (d's "n/a" is no number); at risk: a
    # (detractor, negative), c (negative about billing), d (detractor, no revenue); b is neither.
    assert billing["revenue"] == 9000
    assert billing["revenue_at_risk"] == 4000
    assert billing["customers_at_risk"] == 3
    assert "impact" in billing and "mentions" in billing  # existing fields kept


def test_revenue_at_risk_per_attribute_group_in_metrics(client, workspace, data):
    body = client.get(
        f"/api/v1/metrics?survey_id={data['id']}&group_by=attributes.plan", headers=workspace.headers
    ).json
    groups = {g["key"]: g for g in body["groups"]}
    # pro: a (detractor, 1000) and b (promoter, 5000); basic: c (negative comment, 3000), d
    # (detractor, no revenue), e (detractor, 7000).
    assert groups["pro"]["revenue"] == 6000 and groups["pro"]["revenue_at_risk"] == 1000
    assert groups["basic"]["revenue"] == 10000 and groups["basic"]["revenue_at_risk"] == 10000
    assert groups["pro"]["responses"] == 2  # existing fields kept
    weekly = client.get(
        f"/api/v1/metrics?survey_id={data['id']}&group_by=week", headers=workspace.headers
    ).json
    assert all(g["revenue_at_risk"] is None for g in weekly["groups"])


def test_revenue_at_risk_per_roadmap_item(client, workspace, data, run_worker, db_session):
    themes = client.get("/api/v1/themes?limit=500", headers=workspace.headers).json["items"]
    billing = next(t for t in themes if t["name"] == "billing")
    item = client.post(
        "/api/v1/roadmap-items",
        json={"title": "Clearer invoices", "theme_ids": [billing["id"]]},
        headers=workspace.headers,
    )
    assert item.status_code == 201, item.json
    run_worker()
    listed = client.get("/api/v1/roadmap-items?sort=impact", headers=workspace.headers).json["items"]
    row = next(i for i in listed if i["title"] == "Clearer invoices")
    assert row["revenue_at_risk"] == 4000 and row["customers_at_risk"] == 3
    assert "revenue" in row["impact"] and "detractors" in row["impact"]  # impact unchanged
    # Read from the link facts the roadmap rollups keep: a, b, c, d are linked (e said nothing),
    # revenue 1000 + 5000 + 3000 (d's "n/a" is none), and a later answer from b that is negative
    # about billing puts b at risk too.
    figures = revenue.by_roadmap_item(db_session, workspace_id=workspace.workspace.id, item_ids=[row["id"]])
    assert figures[row["id"]] == {
        "customers": 4,
        "revenue": 9000,
        "customers_at_risk": 3,
        "revenue_at_risk": 4000,
    }
    answer(
        client, workspace.headers, data["id"], "r-b", 9, "Billing is a mess now.", attributes={"arr": 5000}
    )
    run_worker()
    figures = revenue.by_roadmap_item(db_session, workspace_id=workspace.workspace.id, item_ids=[row["id"]])
    assert figures[row["id"]]["customers_at_risk"] == 4 and figures[row["id"]]["revenue_at_risk"] == 9000


def test_concentration_top_fifth(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    for i in range(1, 11):
        answer(
            client,
            workspace.headers,
            survey["id"],
            f"p-{i}",
            2 if i > 8 else 10,
            attributes={"arr": i * 1000},
        )
    answer(client, workspace.headers, survey["id"], "p-odd", 10, attributes={"arr": "12,000"})
    result = revenue.concentration(db_session, workspace_id=workspace.workspace.id)
    assert result["customers"] == 10 and result["revenue"] == 55000
    top, rest = result["top"], result["rest"]
    assert top["customers"] == 2 and top["revenue"] == 19000
    assert top["revenue_share"] == pytest.approx(19000 / 55000, abs=1e-4)
    assert top["nps"] == -100.0 and rest["nps"] == 100.0
    assert result["pareto"][-1] == {"customers": 1.0, "revenue": 1.0}
    assert result["pareto"][2]["revenue"] == pytest.approx(19000 / 55000, abs=1e-4)
