"""GET /api/v1/metrics?compare=previous: the same-length period before, the difference, its 95%
interval, the p-value and the test, overall and per group, checked against scipy; the answer
without the parameter is unchanged; bad combinations are 422 problems."""

import math
from datetime import UTC, datetime, timedelta

from scipy import stats

from tests.support.helpers import create_survey
from tests.surveys.alert.conftest import post_answers

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 10, 15, tzinfo=UTC)  # previous period: 17 Sep to 1 Oct


def _csat_two_proportion(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 100 * (p1 - p2), 2 * stats.norm.sf(abs(z))


def test_compare_previous_adds_the_change_with_its_test(client, workspace):
    survey = create_survey(client, workspace.headers, name="Support CSAT", kind="csat")
    post_answers(
        client,
        workspace,
        survey["id"],
        [5] * 80 + [2] * 20,
        at=START - timedelta(days=5),
        attributes={"plan": "pro"},
        prefix="before",
    )
    post_answers(
        client,
        workspace,
        survey["id"],
        [5] * 60 + [2] * 40,
        at=START + timedelta(days=3),
        attributes={"plan": "pro"},
        prefix="now",
    )
    params = {"survey_id": survey["id"], "from": START.isoformat(), "to": END.isoformat()}
    plain = client.get("/api/v1/metrics", query_string=params, headers=workspace.headers).json
    assert "previous" not in plain and "change" not in plain["overall"]

    answer = client.get(
        "/api/v1/metrics",
        query_string={**params, "compare": "previous", "group_by": "attributes.plan"},
        headers=workspace.headers,
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (
        body["previous"]["from"] == "2026-09-17T00:00:00Z" and body["previous"]["overall"]["responses"] == 100
    )
    change = body["overall"]["change"]
    difference, p_value = _csat_two_proportion(60, 100, 80, 100)
    assert change["difference"] == round(difference, 2) == -20.0
    assert math.isclose(change["p_value"], p_value, abs_tol=1e-6)
    assert change["test"] == "two-proportion z test" and change["significant"] is True
    low, high = change["ci95"]
    assert low < -20 < high < 0
    group = body["groups"][0]
    assert group["key"] == "pro" and group["change"]["difference"] == -20.0
    assert group["previous"]["responses"] == 100


def test_compare_previous_with_few_answers_is_not_significant_and_says_why(client, workspace):
    survey = create_survey(client, workspace.headers, name="NPS", kind="nps")
    post_answers(client, workspace, survey["id"], [10, 10, 10], at=START - timedelta(days=2), prefix="b")
    post_answers(client, workspace, survey["id"], [0], at=START + timedelta(days=1), prefix="n")
    body = client.get(
        "/api/v1/metrics",
        query_string={
            "survey_id": survey["id"],
            "from": START.isoformat(),
            "to": END.isoformat(),
            "compare": "previous",
        },
        headers=workspace.headers,
    ).json
    change = body["overall"]["change"]
    assert change["difference"] == -200.0 and change["significant"] is False
    assert "too few answers" in change["reason"]


def test_compare_needs_a_range_and_no_period_grouping(client, workspace):
    survey = create_survey(client, workspace.headers, name="NPS", kind="nps")
    for query in (
        {"survey_id": survey["id"], "compare": "previous"},
        {
            "survey_id": survey["id"],
            "compare": "previous",
            "from": START.isoformat(),
            "to": END.isoformat(),
            "group_by": "week",
        },
        {"survey_id": survey["id"], "compare": "next", "from": START.isoformat(), "to": END.isoformat()},
        {
            "survey_id": survey["id"],
            "compare": "previous",
            "from": "1901-01-01T00:00:00Z",
            "to": "2999-01-01T00:00:00Z",
        },
    ):
        answer = client.get("/api/v1/metrics", query_string=query, headers=workspace.headers)
        assert answer.status_code == 422, query
        assert answer.content_type == "application/problem+json"
