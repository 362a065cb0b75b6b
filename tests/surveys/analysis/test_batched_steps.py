"""What follows an analysis (health scores, cases, ``response.analyzed`` messages, roadmap links)
comes out the same whether a job analyses several answers of different contacts at once, as the
worker does with a backlog, or the answers one at a time: every step is one set-based statement
(or a few) for the whole batch, and must not mix the answers up."""

from sqlalchemy import select

from surveys.analysis import service as analysis
from surveys.case.models import Case, CaseRule
from surveys.contact.models import Contact
from surveys.core.db import db
from surveys.customer.models import CustomerProfile
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapLink
from surveys.webhook.models import WebhookMessage
from tests.support.helpers import create_survey

# (contact, score, comment): a contact answering twice, one answer without a contact, negative
# and positive comments (of detractors too: the only case rule enabled wants negative sentiment,
# so the analysis decides), and comments the roadmap item's keyword finds.
ANSWERS = [
    ("1", 9, "The food was great and the staff friendly."),
    ("2", 2, "Terrible service, the waiter was slow and rude."),
    ("3", 5, "Delivery was slow and the app is slow to load."),
    ("1", 3, "Awful pasta, cold and overpriced."),
    ("4", 4, "Lovely dessert, we will be back."),
    (None, 1, "Slow and bad."),
]


def _post(client, headers, survey_id: str, group: str) -> list[str]:
    ids = []
    for contact, score, comment in ANSWERS:
        body = {"survey_id": survey_id, "score": score, "comment": comment}
        if contact is not None:
            body["contact"] = {"external_id": f"{group}-{contact}", "attributes": {"plan": "pro"}}
        response = client.post("/api/v1/responses", json=body, headers=headers)
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def _outcome(ids: list[str]) -> dict:
    """What the steps left for these answers, keyed by position in ANSWERS (and contact number)."""
    index = {rid: n for n, rid in enumerate(ids)}
    contacts = dict(
        db.session.execute(
            select(Response.contact_id, Contact.external_id)
            .join(Contact, Contact.id == Response.contact_id)
            .where(Response.id.in_(ids))
        ).all()
    )
    profiles = {
        contacts[row.contact_id].split("-", 1)[1]: (row.health, row.band, row.latest_category)
        for row in db.session.execute(
            select(CustomerProfile).where(CustomerProfile.contact_id.in_(list(contacts)))
        ).scalars()
    }
    cases = sorted(
        (index[response_id], rule)
        for response_id, rule in db.session.execute(
            select(Case.response_id, CaseRule.name)
            .join(CaseRule, CaseRule.id == Case.rule_id)
            .where(Case.response_id.in_(ids))
        ).all()
    )
    links = sorted(
        (index[response_id], source)
        for response_id, source in db.session.execute(
            select(RoadmapLink.response_id, RoadmapLink.source).where(RoadmapLink.response_id.in_(ids))
        ).all()
    )
    analysed = []
    for payload in db.session.execute(
        select(WebhookMessage.payload).where(WebhookMessage.event_type == "response.analyzed")
    ).scalars():
        data = payload["data"]
        if data["response"]["id"] in index:
            analysed.append((index[data["response"]["id"]], data["analysis"]))
    analysed.sort(key=lambda pair: pair[0])
    return {"profiles": profiles, "cases": cases, "links": links, "analysed": analysed}


def test_one_job_for_many_contacts_leaves_what_one_job_per_answer_leaves(app, client, workspace, receiver):
    headers = workspace.headers
    for existing in client.get("/api/v1/case-rules", headers=headers).json["items"]:
        patched = client.patch(
            f"/api/v1/case-rules/{existing['id']}", json={"enabled": False}, headers=headers
        )
        assert patched.status_code == 200, patched.json
    rule = client.post(
        "/api/v1/case-rules",
        json={"name": "Negative comments", "negative_sentiment": True, "sla_hours": 24},
        headers=headers,
    )
    assert rule.status_code == 201, rule.json
    item = client.post(
        "/api/v1/roadmap-items", json={"title": "Speed", "keywords": ["slow"]}, headers=headers
    )
    assert item.status_code == 201, item.json
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "events": ["response.analyzed"]},
        headers=headers,
    )
    assert endpoint.status_code == 201, endpoint.json
    survey = create_survey(client, headers)
    together = _post(client, headers, survey["id"], "a")
    alone = _post(client, headers, survey["id"], "b")

    with app.app_context():
        assert analysis.analyze_responses(db.session, response_ids=together).done == len(ANSWERS)
        for response_id in alone:
            assert analysis.analyze_responses(db.session, response_ids=[response_id]).done == 1
        batched, single = _outcome(together), _outcome(alone)
        db.session.remove()

    assert batched == single
    # And the steps did run: otherwise two empty outcomes would be equal too.
    assert set(batched["profiles"]) == {"1", "2", "3", "4"}
    assert (1, "Negative comments") in batched["cases"] and (3, "Negative comments") in batched["cases"]
    assert not [n for n, _ in batched["cases"] if n in (0, 4)]
    assert [n for n, _ in batched["links"]] == [1, 2, 5]
    assert [n for n, _ in batched["analysed"]] == list(range(len(ANSWERS)))
    assert batched["analysed"][1][1]["sentiment"]["label"] == "negative"
