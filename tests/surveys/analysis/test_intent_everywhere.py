"""Intent beyond the answer itself, through the API and the real worker: theme insights count each
theme's mentions by intent and rank by ``?intent=`` (bad values are 422 problems), the response
list's theme filter takes the mention's intent, the warehouse export and the signed
``response.analyzed`` webhook (to a real receiver) carry the comment's and each mention's intent."""

from tests.support.helpers import create_survey
from tests.support.intent import INTENT_COMMENTS
from tests.vocservice.api.test_exports import _age_all, _lines
from tests.vocservice.api.test_webhook_endpoints import _endpoint, _verify


def _post(client, workspace, survey_id) -> dict[str, str]:
    ids = {}
    for n, (plan, score, comment) in enumerate(INTENT_COMMENTS):
        reply = client.post(
            "/api/v1/responses",
            json={
                "survey_id": survey_id,
                "score": score,
                "comment": comment,
                "contact": {"external_id": f"c-{n}", "attributes": {"plan": plan}},
            },
            headers=workspace.headers,
        )
        assert reply.status_code == 201, reply.json
        ids[comment] = reply.json["id"]
    return ids


def test_theme_insights_count_intents_and_rank_by_one(client, workspace, run_worker, receiver, app):
    endpoint = _endpoint(client, workspace, receiver.url, events=["response.analyzed"])
    survey = create_survey(client, workspace.headers)
    ids = _post(client, workspace, survey["id"])
    run_worker()

    def insights(**params):
        reply = client.get(
            "/api/v1/insights/themes",
            query_string={"survey_id": survey["id"], **params},
            headers=workspace.key_headers("analyst"),
        )
        assert reply.status_code == 200, reply.json
        return reply.json

    every = {item["name"]: item for item in insights()["items"]}
    integrations = every["integrations"]
    assert integrations["intents"] == {"request": 3, "complaint": 0, "question": 0, "praise": 0, "other": 0}
    assert every["billing"]["intents"]["complaint"] == 2 and every["billing"]["intents"]["request"] == 0
    asked = insights(intent="request")
    assert asked["intent"] == "request" and asked["items"][0]["name"] == "integrations"
    assert {i["name"] for i in asked["items"]} == {n for n, i in every.items() if i["intents"]["request"]}
    assert "billing" not in {i["name"] for i in asked["items"]}
    complained = insights(intent="complaint")
    assert complained["items"][0]["name"] == "billing"
    assert "integrations" not in {i["name"] for i in complained["items"]}
    bad = client.get(
        "/api/v1/insights/themes",
        query_string={"survey_id": survey["id"], "intent": "wish"},
        headers=workspace.headers,
    )
    assert bad.status_code == 422 and "intent" in bad.json["errors"]
    assert bad.mimetype == "application/problem+json"

    # The list's theme filter with an intent takes the mention's intent.
    listed = client.get(
        "/api/v1/responses?theme=integrations&intent=request", headers=workspace.headers
    ).json["items"]
    assert len(listed) == 3
    assert (
        client.get("/api/v1/responses?theme=billing&intent=request", headers=workspace.headers).json["items"]
        == []
    )
    assert (
        client.get("/api/v1/responses?theme=billing&intent=x", headers=workspace.headers).status_code == 422
    )

    # The warehouse export: the comment's intent and each mention's.
    _age_all(app)
    lines = {
        line["id"]: line
        for line in _lines(client.get("/api/v1/exports/responses", headers=workspace.headers))
    }
    slack = lines[ids["Would love a Slack integration."]]["analysis"]
    assert slack["intent"] == "request"
    assert [t["intent"] for t in slack["themes"] if t["name"] == "integrations"] == ["request"]

    # The signed webhook: the same, for every analysed answer.
    analyzed = {}
    for item in receiver.received:
        payload = _verify(endpoint["secret"], item)
        if payload["type"] == "response.analyzed":
            analyzed[payload["data"]["response"]["id"]] = payload["data"]["analysis"]
    assert set(analyzed) == set(ids.values())
    refund = analyzed[ids["Billing charged us twice and still no refund."]]
    assert refund["intent"] == "complaint"
    assert [t["intent"] for t in refund["themes"] if t["name"] == "billing"] == ["complaint"]
    assert analyzed[ids["Would love a Slack integration."]]["intent"] == "request"
    assert all("intent" in t for analysis in analyzed.values() for t in analysis["themes"])


def test_openapi_describes_intent_in_insights_and_webhooks(client):
    spec = client.get("/api/openapi.json").json
    insights = spec["paths"]["/api/v1/insights/themes"]["get"]
    intent = next(p for p in insights["parameters"] if p["name"] == "intent")
    assert set(intent["schema"]["enum"]) - {None} == {"praise", "complaint", "request", "question", "other"}
    body = insights["responses"]["200"]["content"]["application/json"]["schema"]
    assert "request" in body["properties"]["items"]["items"]["properties"]["intents"]["properties"]
    assert "what customers ask for" in insights.get("summary", "") + insights.get("description", "")
    schemas = spec["components"]["schemas"]
    analysis = next(s for name, s in schemas.items() if name.startswith("AnalysisData"))
    assert "intent" in analysis["properties"]
    hit = next(s for name, s in schemas.items() if name == "ThemeHit")
    assert "intent" in hit["properties"]
