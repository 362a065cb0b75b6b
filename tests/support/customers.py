"""A small customer story through the public surfaces, shared by the customer API and browser
tests: an event invites a customer, a second is suppressed by fatigue, the customer answers on
the hosted form, and other customers answer through the API with odd revenue values."""

from datetime import timedelta

from surveys.core.db import utcnow
from tests.support.helpers import create_survey, create_touchpoint, event

HOSTILE = "<script>alert(1)</script> Terrible, awful billing. I hate it."


def answer(client, headers, survey_id, contact, score, comment=None, days_ago=0, attributes=None):
    body = {
        "survey_id": survey_id,
        "contact": {"external_id": contact, "attributes": attributes or {}},
        "score": score,
        "submitted_at": (utcnow() - timedelta(days=days_ago)).isoformat(),
    }
    if comment:
        body["comment"] = comment
    response = client.post("/api/v1/responses", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def story(client, headers) -> dict:
    survey = create_survey(client, headers)
    create_touchpoint(client, headers, survey["id"])
    other = create_survey(client, headers, name="Support CSAT", kind="csat", question="How satisfied?")
    create_touchpoint(client, headers, other["id"], event="ticket.solved")
    attributes = {"plan": "pro", "arr": 12000, "company": "Globex"}
    first = event(contact="cust-1", properties={"order_id": "o-77"})
    first["contact"]["attributes"] = attributes
    invited = client.post("/api/v1/events", json=first, headers=headers).json
    suppressed = client.post(
        "/api/v1/events", json=event(name="ticket.solved", contact="cust-1"), headers=headers
    ).json
    assert suppressed["invitations"][0]["reason"] == "recently_contacted"
    token = invited["invitations"][0]["url"].rsplit("/", 1)[1]
    page = client.post(f"/s/{token}", data={"score": "0", "comment": HOSTILE, "action": "submit"})
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    odd = ["n/a", "1e999", "", "12,000", True, {"x": 1}, 1e300 * 10 if False else "NaN"]
    for i, value in enumerate(odd):
        answer(client, headers, survey["id"], f"odd-{i}", 9, attributes={"arr": value, "company": "Initech"})
    answer(client, headers, survey["id"], "big-1", 10, attributes={"arr": 90000, "company": "Initech"})
    answer(client, headers, survey["id"], "small-1", 4, attributes={"arr": "500"})
    return {"survey": survey, "other": other, "event": first}
