"""Fixtures of the fuzz suite: the app's own OpenAPI document, loaded through its WSGI app, and a
workspace holding one object of every kind, so generated path ids can also be real ones."""

import pytest
import schemathesis
from hypothesis import HealthCheck

from tests.support.helpers import create_survey, create_touchpoint, event

# Bounded so the whole fuzz suite stays within a couple of minutes on a 2-core machine.
MAX_EXAMPLES = 20
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


@pytest.fixture(scope="session")
def api_schema(app):
    config = schemathesis.Config.from_dict(
        {
            "seed": 20240608,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "mode": "all",
                "with-security-parameters": False,
            },
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


@pytest.fixture
def real_ids(client, workspace) -> dict[str, str]:
    """One of each object the API addresses by id, created through the API, by path parameter."""
    headers = workspace.headers
    survey = create_survey(client, headers)
    touchpoint = create_touchpoint(client, headers, survey["id"])
    accepted = client.post("/api/v1/events", json=event(), headers=headers)
    assert accepted.status_code == 202, accepted.json
    invitation_id = accepted.json["invitations"][0]["id"]
    answer = client.post(
        "/api/v1/responses",
        json={"survey_id": survey["id"], "score": 9, "comment": "Fast delivery, great support."},
        headers=headers,
    )
    assert answer.status_code == 201, answer.json
    theme = client.post("/api/v1/themes", json={"name": "Delivery"}, headers=headers)
    assert theme.status_code == 201, theme.json
    item = client.post("/api/v1/roadmap-items", json={"title": "Faster delivery"}, headers=headers)
    assert item.status_code == 201, item.json
    segment = client.post(
        "/api/v1/segments",
        json={"name": "Pro", "conditions": [{"field": "attributes.plan", "op": "eq", "value": "pro"}]},
        headers=headers,
    )
    assert segment.status_code == 201, segment.json
    alert_rule = client.post(
        "/api/v1/alert-rules",
        json={
            "name": "Drops",
            "kind": "score_drop",
            "survey_id": survey["id"],
            "segment_id": segment.json["id"],
        },
        headers=headers,
    )
    assert alert_rule.status_code == 201, alert_rule.json
    # A detractor-level answer opens a case under the workspace's default rule.
    low = client.post("/api/v1/responses", json={"survey_id": survey["id"], "score": 2}, headers=headers)
    assert low.status_code == 201, low.json
    case = client.get("/api/v1/cases", headers=headers).json["items"][0]
    case_rule = client.get("/api/v1/case-rules", headers=headers).json["items"][0]
    return {
        "survey_id": survey["id"],
        "touchpoint_id": touchpoint["id"],
        "invitation_id": invitation_id,
        "response_id": answer.json["id"],
        "theme_id": theme.json["id"],
        "item_id": item.json["id"],
        "segment_id": segment.json["id"],
        "rule_id": alert_rule.json["id"],
        "case_id": case["id"],
        "case_rule_id": case_rule["id"],
    }
