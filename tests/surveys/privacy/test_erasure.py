"""Erasure: every trace of the person goes, from every table and every Redis key, while their
analysis job, webhook deliveries and a new event are in flight; an unknown address changes
nothing; they are never invited again; the request is durable and audited."""

import re
from datetime import timedelta

from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select, text, update

from surveys.contact.models import Contact
from surveys.contact.suppression import ContactSuppression
from surveys.core import jobs as port
from surveys.core.db import db, utcnow
from surveys.privacy import erasure
from surveys.privacy.models import ErasureRequest, PrivacyAudit
from surveys.response.models import Response
from surveys.tick import run_tick
from surveys.webhook.models import WebhookDelivery, WebhookMessage
from tests.conftest import TEST_REDIS_URL
from tests.support.helpers import event
from tests.support.privacy import (
    ANN_EMAIL,
    ANN_ID,
    BOB_ID,
    answer_through_api,
    answer_through_form,
    person,
    search_database,
    search_redis,
    setup_survey,
)
from vocservice.queue import enqueue_now

NEEDLES = [ANN_EMAIL.lower(), ANN_ID, "ann.person"]


def _erase(client, workspace, **body):
    reply = client.post("/api/v1/privacy/erasure", json=body, headers=workspace.headers)
    assert reply.status_code == 202, reply.json
    return reply.json


def _run_default_queue_only() -> None:
    connection = Redis.from_url(TEST_REDIS_URL)
    SimpleWorker(["default"], connection=connection, serializer=JSONSerializer).work(burst=True)


def _tick_later(app, minutes: int = 11) -> None:
    """A tick as if ``minutes`` had passed; pending deliveries' retries are due by then too."""
    with app.app_context():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1), lease_until=None)
        )
        run_tick(db.session, now=utcnow() + timedelta(minutes=minutes))
        db.session.remove()


def _new_event(client, workspace, contact: dict) -> dict:
    body = event(contact=contact.get("external_id") or "x")
    body["contact"] = contact
    reply = client.post("/api/v1/events", json=body, headers=workspace.headers)
    assert reply.status_code == 202, reply.json
    return reply.json


def test_erasure_while_work_is_queued_leaves_no_trace_anywhere(
    app, client, workspace, receiver, run_worker, redis_conn, db_session
):
    h = workspace.headers
    survey, _ = setup_survey(client, h)
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "events": ["response.created", "response.analyzed", "contact.erased"]},
        headers=h,
    ).json
    receiver.reset(status=503)  # deliveries stay pending, with retries due later
    ann, bob = person(ANN_ID, ANN_EMAIL), person(BOB_ID, "bob@example.org", plan="basic")
    answer_through_form(client, h, ann, 3, "Slow checkout, write to ann.person@example.com")
    ann_api = answer_through_api(client, h, survey["id"], ann, 9, "Billing is great")
    bob_answer = answer_through_api(client, h, survey["id"], bob, 6, "Slow reports")
    with app.app_context():
        # An analysis job naming Ann's answer waits on the nlp queue behind the erasure.
        enqueue_now(port.ANALYZE_RESPONSES, [ann_api, bob_answer])
    _run_default_queue_only()  # the first deliveries fail: pending, due again later
    assert receiver.received, "deliveries were attempted"

    with app.app_context():  # the search sees her before
        assert {hit[0] for hit in search_database(db.session, NEEDLES)} >= {
            "contacts",
            "responses",
            "webhook_messages",
        }
    accepted = _erase(client, workspace, email="  ann.PERSON@example.COM ")
    assert accepted["status"] == "pending" and set(accepted) == {"id", "status", "requested_at"}
    # A new event for her arrives before the job runs: acknowledged, nothing stored, no invitation.
    late = _new_event(client, workspace, {"email": "ANN.person@example.com", "external_id": "new-ann-key"})
    assert late["invitations"] == []

    _run_default_queue_only()  # the erasure runs while the nlp job still waits
    nlp = Queue("nlp", connection=redis_conn, serializer=JSONSerializer)
    assert all(ann_api not in str(job.args) for job in nlp.get_jobs())

    receiver.reset(status=200)
    seen = len(receiver.received)
    _tick_later(app)
    run_worker()
    after = receiver.payloads()[seen:]
    erased = [p for p in after if p["type"] == "contact.erased"]
    assert len(erased) == 1 and set(erased[0]["data"]) == {"contact_id", "erased_at"}
    # "ann" as a word, her address or her id: random ids (ULIDs, tokens) may hold the letters "ANN"
    # (the assertion failed about once in a hundred runs on one), never the word.
    assert not [
        p for p in after if re.search(r"\bann\b", str(p), re.I) or any(n in str(p).lower() for n in NEEDLES)
    ], after
    assert any(p["data"].get("response", {}).get("id") == bob_answer for p in after)

    # An event naming only her external id (or her address alone) finds her suppressed too.
    assert _new_event(client, workspace, {"external_id": ANN_ID})["invitations"] == []
    assert _new_event(client, workspace, {"email": "ann.person@EXAMPLE.com"})["invitations"] == []
    db_session.expire_all()
    assert search_database(db_session, NEEDLES) == []
    assert search_redis(redis_conn, NEEDLES) == []
    # Bob is untouched and analysed; Ann has no contact, answer or event left.
    assert db_session.get(Response, bob_answer).analysis_status == "done"
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 1
    row = db_session.get(ErasureRequest, accepted["id"])
    assert row.status == "done" and row.subject is None and row.counts["responses"] == 2
    assert db_session.scalar(select(func.count()).select_from(ContactSuppression)) >= 2
    audit = db_session.execute(select(PrivacyAudit).order_by(PrivacyAudit.at)).scalars().all()
    assert [(a.action, a.actor_kind) for a in audit] == [
        ("erasure_requested", "api_key"),
        ("erasure_done", "system"),
    ]
    assert audit[0].actor_id and audit[0].request_id == accepted["id"]
    assert endpoint["id"]


def _row_counts(session) -> dict[str, int]:
    names = session.execute(
        text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    ).scalars()
    skip = {"erasure_requests", "privacy_audit", "contact_suppressions", "api_keys", "alembic_version"}
    return {n: session.execute(text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names if n not in skip}


def test_erasure_of_an_unknown_address_changes_nothing_and_answers_alike(
    app, client, workspace, run_worker, db_session, receiver
):
    h = workspace.headers
    survey, _ = setup_survey(client, h)
    client.post(
        "/api/v1/webhook-endpoints", json={"url": receiver.url, "events": ["contact.erased"]}, headers=h
    )
    answer_through_api(client, h, survey["id"], person(ANN_ID, ANN_EMAIL), 8, "Fine")
    run_worker()
    before = _row_counts(db_session)
    unknown = _erase(client, workspace, email="nobody@example.com")
    known_shape = _erase(client, workspace, external_id="also-nobody")
    assert set(unknown) == set(known_shape) and unknown["status"] == known_shape["status"] == "pending"
    run_worker()
    db_session.expire_all()
    assert _row_counts(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(WebhookMessage)) == 0
    assert receiver.received == []
    done = db_session.get(ErasureRequest, unknown["id"])
    assert done.status == "done" and done.counts == {"contacts_found": 0}


def test_erasure_by_external_id_and_the_tick_retries_a_lost_job(
    app, client, workspace, run_worker, redis_conn
):
    h = workspace.headers
    survey, _ = setup_survey(client, h)
    answer_through_api(client, h, survey["id"], person(ANN_ID, ANN_EMAIL), 2, "Never again")
    run_worker()
    accepted = _erase(client, workspace, external_id=f" {ANN_ID} ")
    redis_conn.flushdb()  # the job is lost with Redis
    _tick_later(app, minutes=1)
    assert run_worker() == 0  # not yet: the job may still be queued somewhere
    _tick_later(app, minutes=11)
    run_worker()
    with app.app_context():
        assert db.session.get(ErasureRequest, accepted["id"]).status == "done"
        assert search_database(db.session, NEEDLES) == []
        # Erased by external id, she is suppressed by her address too.
        assert _new_event(client, workspace, {"email": ANN_EMAIL})["invitations"] == []
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
        # Answers posted for her are refused, one by one and in a batch; others are stored.
        body = {"survey_id": survey["id"], "score": 1, "contact": {"email": ANN_EMAIL.upper()}}
        refused = client.post("/api/v1/responses", json=body, headers=h)
        assert refused.status_code == 422 and "erased" in refused.json["detail"]
        other = {**body, "contact": {"external_id": "someone-else"}}
        batch = client.post("/api/v1/responses/batch", json={"responses": [body, other]}, headers=h).json
        assert (batch["rejected"], [item["status"] for item in batch["results"]]) == (1, [422, 201])
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
        # Running the job again does nothing.
        assert erasure.run_erasure(db.session, request_id=accepted["id"]).status == "done"


def test_erasure_removes_the_mail_files_written_without_smtp(app, client, workspace, run_worker):
    from surveys.invitation import mail
    from vocservice.config import delivery_settings

    with app.app_context():
        folder = delivery_settings(app).outbox_dir
    written = {}
    for number, to in enumerate((ANN_EMAIL, "bob@example.org")):
        message = mail.plain_message(to=to, subject="How did we do?", body="Tell us")
        message["Message-ID"] = f"<privacy-test-{number}@voc.test>"
        written[to] = mail.send_message(
            message, smtp_url=None, mail_from="voc@example.com", outbox_dir=folder
        )
    h = workspace.headers
    survey, _ = setup_survey(client, h)
    answer_through_api(client, h, survey["id"], person(ANN_ID, ANN_EMAIL), 5, "ok")
    _erase(client, workspace, email=ANN_EMAIL.lower())
    run_worker()
    assert not written[ANN_EMAIL].exists()
    assert written["bob@example.org"].exists()
    written["bob@example.org"].unlink()
