"""Survey and touchpoint rules through the API: status codes and problem bodies (the rules
themselves: tests/surveys/survey/test_service.py)."""

from tests.support.helpers import create_survey, create_touchpoint

TOUCHPOINT = {"name": "After delivery", "event": "order.delivered", "channel": "link"}


def test_api_survey_and_touchpoint_rules_answer_problems(client, workspace):
    h = workspace.headers
    survey = create_survey(client, h)
    touchpoint = create_touchpoint(client, h, survey["id"])

    unknown = client.post("/api/v1/touchpoints", json={**TOUCHPOINT, "survey_id": "sv_nope"}, headers=h)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    assert unknown.json["detail"] == "No survey with id 'sv_nope' in this workspace."
    assert "errors" not in unknown.json
    channel = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", json={"channel": "webhook"}, headers=h)
    assert channel.status_code == 422
    assert channel.json["detail"] == "The webhook channel needs a webhook_url."
    assert channel.json["errors"] == {"webhook_url": ["required for the webhook channel"]}
    private = client.patch(
        f"/api/v1/touchpoints/{touchpoint['id']}",
        json={"channel": "webhook", "webhook_url": "http://10.0.0.1/hook"},
        headers=h,
    )
    assert private.status_code == 422 and list(private.json["errors"]) == ["webhook_url"]
    assert client.get(f"/api/v1/touchpoints/{touchpoint['id']}", headers=h).json["channel"] == "link"

    answer = {"survey_id": survey["id"], "score": 10, "contact": {"external_id": "c-1"}}
    assert client.post("/api/v1/responses", json=answer, headers=h).status_code == 201
    kind = client.patch(f"/api/v1/surveys/{survey['id']}", json={"kind": "csat"}, headers=h)
    assert kind.status_code == 409
    assert kind.json["detail"] == "This survey has responses; its kind can no longer change."
    renamed = client.patch(f"/api/v1/surveys/{survey['id']}", json={"name": "Renamed"}, headers=h)
    assert renamed.status_code == 200 and renamed.json["name"] == "Renamed"
    assert list(renamed.json) == [
        "id",
        "name",
        "kind",
        "question",
        "comment_prompt",
        "locale",
        "translations",
        "status",
        "created_at",
        "updated_at",
    ]


def test_api_ids_with_nul_are_unknown_not_errors(client, workspace):
    h = workspace.headers
    for path in ("surveys", "touchpoints", "themes", "segments", "roadmap-items", "responses"):
        reply = client.get(f"/api/v1/{path}/a%00b", headers=h)
        assert reply.status_code == 404, (path, reply.status_code)
        assert reply.mimetype == "application/problem+json"
