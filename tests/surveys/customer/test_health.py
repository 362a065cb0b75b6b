"""Health scores: factors with data only, explained contributions, bands, history, decline,
accounts grouped by an attribute, and band changes sent as webhook events."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from surveys.core.db import utcnow
from surveys.customer import health
from surveys.customer.models import CustomerAccount, CustomerProfile, HealthPoint
from surveys.customer.settings import update
from surveys.webhook.models import WebhookMessage
from tests.support.customers import answer as _post
from tests.support.helpers import create_survey


def _profile(db_session, external_id):
    from surveys.contact.models import Contact

    return db_session.execute(
        select(CustomerProfile)
        .join(Contact, Contact.id == CustomerProfile.contact_id)
        .where(Contact.external_id == external_id)
    ).scalar_one()


def test_health_scored_when_an_answer_lands_with_explained_contributions(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    _post(client, workspace.headers, survey["id"], "c-1", 9, days_ago=40, attributes={"arr": 5000})
    _post(client, workspace.headers, survey["id"], "c-1", 3, days_ago=1)
    profile = _profile(db_session, "c-1")
    by_name = {f["factor"]: f for f in profile.factors}
    # No invitations and no comments: those factors have no data and are left out, not zeroed.
    # The detractor answer opened a case under the default rule: one open case reads 25.
    assert set(by_name) == {"latest_score", "score_trend", "recency", "cases"}
    assert by_name["latest_score"]["note"] == "last NPS 3"
    assert by_name["latest_score"]["value"] == 30.0
    assert by_name["cases"]["note"] == "1 open case" and by_name["cases"]["value"] == 25.0
    # Weights 40, 15, 15, 20 renormalised over the factors present; latest 30, trend 50 + (30 -
    # 90) clipped to 0, recency 100 (answered a day ago), cases 25.
    expected = (40 * 30 + 15 * 0 + 15 * 100 + 20 * 25) / 90
    assert profile.health == pytest.approx(round(expected, 1))
    assert sum(f["contribution"] for f in profile.factors) == pytest.approx(profile.health - 50, abs=0.2)
    assert by_name["latest_score"]["text"].startswith(f"{round(40 * (30 - 50) / 90):+d}: last NPS 3")
    assert profile.band == "at_risk"  # 35.6, below the "watch" band at 40
    assert profile.revenue == 5000
    assert profile.latest_category == "detractor"


def test_health_negative_theme_note_counts_mentions(client, workspace, db_session, run_worker):
    survey = create_survey(client, workspace.headers)
    _post(client, workspace.headers, survey["id"], "c-2", 4, "The billing is terrible and confusing.", 10)
    _post(client, workspace.headers, survey["id"], "c-2", 5, "Billing errors again, awful billing.", 2)
    run_worker()
    profile = _profile(db_session, "c-2")
    sentiment = next(f for f in profile.factors if f["factor"] == "comment_sentiment")
    assert sentiment["note"] == "negative about billing twice in 60 days"
    assert sentiment["value"] < 50


def test_health_weights_and_bands_change_the_score(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    _post(client, workspace.headers, survey["id"], "c-3", 10)
    update(
        db_session,
        workspace_id=workspace.workspace.id,
        data={"weights": {"recency": 0}, "bands": {"healthy": 95}},
    )
    db_session.commit()
    contact_id = _profile(db_session, "c-3").contact_id
    health.recompute(db_session, workspace_id=workspace.workspace.id, contact_ids=[contact_id])
    db_session.commit()
    profile = _profile(db_session, "c-3")
    assert [f["factor"] for f in profile.factors] == ["latest_score"]
    assert profile.health == 100.0 and profile.band == "healthy"


def test_health_history_flags_decline_and_emits_band_change(
    client, workspace, db_session, receiver, run_worker
):
    ws = workspace.workspace.id
    survey = create_survey(client, workspace.headers)
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "events": ["contact.health_changed"]},
        headers=workspace.headers,
    )
    assert endpoint.status_code == 201, endpoint.json
    now = utcnow()
    _post(client, workspace.headers, survey["id"], "c-4", 10, days_ago=20)
    contact_id = _profile(db_session, "c-4").contact_id
    health.recompute(db_session, workspace_id=ws, contact_ids=[contact_id], now=now - timedelta(days=19))
    db_session.commit()
    assert _profile(db_session, "c-4").band == "healthy"
    _post(client, workspace.headers, survey["id"], "c-4", 1, days_ago=0)
    profile = _profile(db_session, "c-4")
    assert profile.band == "at_risk"
    assert profile.declining and profile.decline >= 15
    days = (
        db_session.execute(
            select(HealthPoint.day).where(HealthPoint.contact_id == contact_id).order_by(HealthPoint.day)
        )
        .scalars()
        .all()
    )
    assert len(days) >= 2
    messages = db_session.execute(select(WebhookMessage.payload)).scalars().all()
    changed = [m for m in messages if m["type"] == "contact.health_changed"]
    assert len(changed) == 1
    assert changed[0]["data"]["previous_band"] == "healthy" and changed[0]["data"]["band"] == "at_risk"
    run_worker()
    delivered = [p for p in receiver.payloads() if p["type"] == "contact.health_changed"]
    assert len(delivered) == 1 and delivered[0]["data"]["contact"]["external_id"] == "c-4"
    assert delivered[0]["data"]["factors"][0]["note"] == "last NPS 1"


def test_accounts_leave_out_contacts_without_the_attribute(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    for i in range(10):
        attributes = {"company": "Globex" if i % 2 else "Initech", "arr": 1000 * (i + 1)} if i < 5 else {}
        _post(client, workspace.headers, survey["id"], f"a-{i}", i, attributes=attributes)
    accounts = {a.key: a for a in db_session.execute(select(CustomerAccount)).scalars()}
    assert set(accounts) == {"Globex", "Initech"}
    assert accounts["Initech"].contacts == 3 and accounts["Globex"].contacts == 2
    assert accounts["Initech"].revenue == 5000  # the highest of its contacts'
    without = (
        db_session.execute(select(CustomerProfile).where(CustomerProfile.account_key.is_(None)))
        .scalars()
        .all()
    )
    assert len(without) == 5


def test_health_of_batch_answers_follows_in_a_job(client, workspace, db_session, run_worker):
    survey = create_survey(client, workspace.headers)
    _post(client, workspace.headers, survey["id"], "b-1", 10)
    before = _profile(db_session, "b-1").health
    items = [
        {"survey_id": survey["id"], "contact": {"external_id": f"b-{i}"}, "score": 0} for i in range(1, 4)
    ]
    answer = client.post("/api/v1/responses/batch", json={"responses": items}, headers=workspace.headers)
    assert answer.status_code < 300, answer.json
    db_session.expire_all()
    # The batch answered at once; its customers are scored by the job it asked for.
    assert _profile(db_session, "b-1").health == before
    run_worker()
    db_session.expire_all()
    assert _profile(db_session, "b-1").latest_category == "detractor"
    assert {_profile(db_session, f"b-{i}").band for i in range(1, 4)} == {"at_risk"}


def test_cases_factor_follows_the_case_from_open_to_overdue_to_resolved(client, workspace, db_session):
    from surveys.case.models import Case

    survey = create_survey(client, workspace.headers)
    _post(client, workspace.headers, survey["id"], "c-9", 2)  # a detractor: the default rule opens a case

    def cases_factor():
        db_session.expire_all()
        return {f["factor"]: f for f in _profile(db_session, "c-9").factors}["cases"]

    assert (cases_factor()["value"], cases_factor()["note"]) == (25.0, "1 open case")
    case = db_session.execute(select(Case)).scalar_one()
    case.due_at = utcnow() - timedelta(hours=1)
    case.overdue_notified_at = utcnow()  # what the tick's overdue sweep records
    db_session.commit()  # the change itself rescoring the customer, in its transaction
    assert (cases_factor()["value"], cases_factor()["note"]) == (0.0, "1 open case, 1 overdue")
    case = db_session.execute(select(Case)).scalar_one()
    case.status, case.resolution = "resolved", "called back, refund issued"
    db_session.commit()
    assert (cases_factor()["value"], cases_factor()["note"]) == (100.0, "1 case in a year, all dealt with")
