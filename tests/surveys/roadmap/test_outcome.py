"""Did shipping help: generated answers where linked customers improve after shipping and the
others do not, the outcome's intervals checked by hand (numpy/scipy), and a re-survey that
respects unsubscribes and fatigue and asks nobody twice."""

from datetime import timedelta

import numpy as np
from scipy import stats
from sqlalchemy import func, select

from surveys.contact.models import Contact
from surveys.core.db import db, utcnow
from surveys.invitation.models import Invitation
from surveys.roadmap.models import RoadmapItem
from surveys.survey.models import Touchpoint
from tests.support.helpers import signed, tick
from tests.support.outcome import nps_values, seed_shipped_item


def test_outcome_linked_customers_improve_and_the_comparison_group_does_not(app, client, workspace):
    data = seed_shipped_item(app, workspace.workspace.id)
    answer = client.get(
        f"/api/v1/roadmap-items/{data['item_id']}/outcome", headers=workspace.key_headers("analyst")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json
    assert body["customers"] == {"linked": 50, "comparison": 60}
    [row] = body["scores"]
    linked, others = row["linked"], row["comparison"]
    # Independent computation: NPS as the mean of +1/0/-1, the difference's standard error from
    # each window's population variance, a normal 95% interval.
    before, after = nps_values(data["scores"]["linked_before"]), nps_values(data["scores"]["linked_after"])
    difference = 100 * (after.mean() - before.mean())
    se = 100 * np.sqrt(after.var() / len(after) + before.var() / len(before))
    z = stats.norm.ppf(0.975)
    assert abs(linked["difference"] - difference) < 0.01
    assert abs(linked["ci95"][0] - (difference - z * se)) < 0.01
    assert abs(linked["ci95"][1] - (difference + z * se)) < 0.01
    assert linked["ci95"][0] > 0 and linked["significant"] and linked["verdict"] == "improved (significant)"
    assert abs(linked["p_value"] - 2 * stats.norm.sf(difference / se)) < 1e-5
    assert others["difference"] == 0 and not others["significant"]
    assert others["verdict"] == "no significant change"
    assert others["ci95"][0] < 0 < others["ci95"][1]
    [theme] = body["themes"]
    assert theme["name"] == "integrations"
    assert theme["linked"]["before"] > theme["linked"]["after"]  # fewer negative mentions
    assert theme["linked"]["verdict"] == "improved (significant)"
    # Nobody outside the cohort mentioned integrations: nothing to conclude, and it says so.
    assert theme["comparison"]["n_before"] == 0
    assert theme["comparison"]["verdict"].startswith("too few answers to conclude")


def test_outcome_says_too_few_answers_and_refuses_unshipped_or_unknown_items(app, client, workspace):
    data = seed_shipped_item(app, workspace.workspace.id, linked=8, others=40)
    headers = workspace.key_headers("analyst")
    body = client.get(f"/api/v1/roadmap-items/{data['item_id']}/outcome", headers=headers).json
    linked = body["scores"][0]["linked"]
    assert not linked["significant"] and linked["reason"].startswith("too few answers to conclude")
    assert linked["verdict"] == linked["reason"] and linked["ci95"] is not None
    missing = client.get("/api/v1/roadmap-items/rm_nope/outcome", headers=headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    bad = client.get(f"/api/v1/roadmap-items/{data['item_id']}/outcome?window_days=0", headers=headers)
    assert bad.status_code == 422
    client.patch(f"/api/v1/roadmap-items/{data['item_id']}", json={"status": "planned"}, headers=headers)
    unshipped = client.get(f"/api/v1/roadmap-items/{data['item_id']}/outcome", headers=headers)
    assert unshipped.status_code == 409 and "not shipped" in unshipped.json["detail"]
    # Shipping again through the API starts a new "after" from now.
    client.patch(f"/api/v1/roadmap-items/{data['item_id']}", json={"status": "shipped"}, headers=headers)
    again = client.get(f"/api/v1/roadmap-items/{data['item_id']}/outcome", headers=headers).json
    assert again["scores"][0]["linked"]["n_after"] == 0


def _touchpoint(app, workspace_id: str, survey_id: str, **fields) -> str:
    with app.app_context():
        touchpoint = Touchpoint(
            workspace_id=workspace_id,
            survey_id=survey_id,
            name="Shipped follow-up",
            event="manual.followup",
            channel="email",
            expires_after_days=14,
            **fields,
        )
        db.session.add(touchpoint)
        db.session.commit()
        touchpoint_id = touchpoint.id
        db.session.remove()
    return touchpoint_id


def test_resurvey_respects_unsubscribes_and_fatigue_and_asks_nobody_twice(
    app, client, workspace, smtp_server, run_worker
):
    data = seed_shipped_item(app, workspace.workspace.id, linked=3, others=2)
    touchpoint_id = _touchpoint(app, workspace.workspace.id, data["survey_id"])
    with app.app_context():
        contacts = {
            c.external_id: c
            for c in db.session.execute(select(Contact).where(Contact.external_id.like("linked-%"))).scalars()
        }
        contacts["linked-0"].unsubscribed_at = utcnow()
        # linked-1 was asked five days ago by another survey's touchpoint: within 30 days.
        db.session.add(
            Invitation(
                workspace_id=workspace.workspace.id,
                contact_id=contacts["linked-1"].id,
                survey_id=data["survey_id"],
                token="tok-recent-invitation-1",
                channel="email",
                status="sent",
                scheduled_for=utcnow() - timedelta(days=5),
                expires_at=utcnow() + timedelta(days=5),
            )
        )
        db.session.commit()
        db.session.remove()
    url = f"/api/v1/roadmap-items/{data['item_id']}/resurvey"
    assert (
        client.post(
            url, json={"touchpoint_id": touchpoint_id}, headers=workspace.key_headers("analyst")
        ).status_code
        == 403
    )
    first = client.post(url, json={"touchpoint_id": touchpoint_id}, headers=workspace.headers)
    assert first.status_code == 200, first.text
    assert first.json == {
        "customers": 3,
        "scheduled": 1,
        "suppressed": {"recently_contacted": 1, "unsubscribed": 1},
        "already_asked": 0,
    }
    second = client.post(url, json={"touchpoint_id": touchpoint_id}, headers=workspace.headers)
    assert second.json == {"customers": 3, "scheduled": 0, "suppressed": {}, "already_asked": 3}
    keyed = {**workspace.headers, "Idempotency-Key": "resurvey-1"}
    assert client.post(url, json={"touchpoint_id": touchpoint_id}, headers=keyed).json["already_asked"] == 3
    replayed = client.post(url, json={"touchpoint_id": touchpoint_id}, headers=keyed)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    bad = client.post(url, json={"touchpoint_id": "tp_nope"}, headers=workspace.headers)
    assert bad.status_code == 422 and "touchpoint_id" in bad.json["errors"]
    with app.app_context():
        made = db.session.execute(
            select(func.count()).select_from(Invitation).where(Invitation.touchpoint_id == touchpoint_id)
        ).scalar()
        db.session.remove()
    assert made == 3  # one scheduled, two suppressed with their reasons; none from the second call
    tick(app)
    run_worker()
    assert [m["To"] for m in smtp_server.messages] == ["linked2@x.test"]
    # The invitation tells the customer what shipped, above the question.
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "You told us what you needed. It is here now: Salesforce sync v2." in body


def test_resurvey_refuses_an_item_not_shipped(app, client, workspace):
    data = seed_shipped_item(app, workspace.workspace.id, linked=2, others=1)
    touchpoint_id = _touchpoint(app, workspace.workspace.id, data["survey_id"])
    client.patch(
        f"/api/v1/roadmap-items/{data['item_id']}", json={"status": "in_progress"}, headers=workspace.headers
    )
    answer = client.post(
        f"/api/v1/roadmap-items/{data['item_id']}/resurvey",
        json={"touchpoint_id": touchpoint_id},
        headers=workspace.headers,
    )
    assert answer.status_code == 409
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Invitation)).scalar() == 0
        db.session.remove()


def test_tracker_webhook_shipping_starts_the_outcome(app, client, workspace):
    """A tracker closing the issue ships the item (shipped_at set, outcome available); reopening
    it clears the moment and the outcome is refused again."""
    secret = workspace.workspace.webhook_secret
    hook = "/webhooks/acme/roadmap"
    raw, headers = signed(secret, {"external_ref": "GH-9", "title": "Dark mode", "status": "in progress"})
    item_id = client.post(hook, data=raw, headers=headers).json["item"]["id"]
    outcome_url = f"/api/v1/roadmap-items/{item_id}/outcome"
    assert client.get(outcome_url, headers=workspace.headers).status_code == 409
    raw, headers = signed(secret, {"external_ref": "GH-9", "status": "done"})
    assert client.post(hook, data=raw, headers=headers).status_code == 200
    shipped = client.get(outcome_url, headers=workspace.headers)
    assert shipped.status_code == 200 and shipped.json["item"]["shipped_at"] is not None
    assert shipped.json["customers"] == {"linked": 0, "comparison": 0} and shipped.json["scores"] == []
    raw, headers = signed(secret, {"external_ref": "GH-9", "status": "open"})
    client.post(hook, data=raw, headers=headers)
    assert client.get(outcome_url, headers=workspace.headers).status_code == 409
    with app.app_context():
        assert db.session.get(RoadmapItem, item_id).shipped_at is None
        db.session.remove()
