"""Intent and factual-complaint cues through the API: stored with the analysis, shown in the
answer's representation, and a filter of the response list; bad values are 422 problems."""

from tests.support.analysis import store_responses
from tests.support.webapp import login, make_user


def test_responses_carry_intent_and_cues_and_filter_by_intent(app, client, workspace, run_worker):
    request, complaint, question, praise, silent = store_responses(
        app,
        workspace.workspace.id,
        [
            "Would love a Slack integration.",
            "I was charged twice and still no refund.",
            "How do I export my data?",
            "Support was wonderful, thank you!",
            None,
        ],
    )
    run_worker()
    headers = workspace.headers

    def listed(query: str) -> set[str]:
        response = client.get(f"/api/v1/responses?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return {item["id"] for item in response.json["items"]}

    assert listed("intent=request") == {request}
    assert listed("intent=complaint") == {complaint}
    assert listed("intent=question") == {question}
    assert listed("intent=praise") == {praise}
    assert silent not in listed("intent=other")
    assert listed("intent=request&sentiment=positive") == set()  # a request is not praise

    body = client.get(f"/api/v1/responses/{complaint}", headers=headers).json["analysis"]
    assert body["intent"] == "complaint" and body["sentiment"]["label"] == "negative"
    comment = "I was charged twice and still no refund."
    assert {(c["kind"], c["text"]) for c in body["cues"]} == {
        ("money", "charged twice"),
        ("unmet_expectation", "no refund"),
    }
    assert all(comment[c["start"] : c["end"]] == c["text"] for c in body["cues"])
    [billing] = [t for t in body["themes"] if t["name"] == "billing"]
    assert billing["intent"] == "complaint" and billing["cues"]

    asked = client.get(f"/api/v1/responses/{request}", headers=headers).json["analysis"]
    assert asked["intent"] == "request" and asked["sentiment"]["label"] == "neutral"
    assert [t["intent"] for t in asked["themes"] if t["name"] == "integrations"] == ["request"]
    none = client.get(f"/api/v1/responses/{silent}", headers=headers).json["analysis"]
    assert none["intent"] is None and none["cues"] == []

    response = client.get("/api/v1/responses?intent=angry", headers=headers)
    assert response.status_code == 422 and "intent" in response.json["errors"]
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_webapp_feedback_filters_by_intent_and_quotes_cues(app, client, workspace, run_worker):
    make_user(app, workspace.workspace.id)
    store_responses(
        app,
        workspace.workspace.id,
        ["Please add dark mode.", "My parcel never arrived.", "Great editor, love it."],
    )
    run_worker()
    login(client)
    page = client.get("/app/feedback?intent=request").text
    assert page.count('class="card response"') == 1 and "dark mode" in page
    page = client.get("/app/feedback?intent=complaint").text
    assert page.count('class="card response"') == 1 and '<q title="not received">never arrived</q>' in page
    assert 'name="intent"' in page
    assert "Unknown intent" in client.get("/app/feedback?intent=nonsense").text
