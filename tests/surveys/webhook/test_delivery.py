"""Delivery under faults, against real receivers on 127.0.0.1 and a real RQ worker: retries on
the schedule with Retry-After honoured, 410 and sustained failure disabling the endpoint (and
the admins told by email), redirects never followed, hanging, cut and huge replies bounded, a
dead worker's lease taken over, Redis down while answers arrive, an endpoint deleted with work
queued, an address refused at delivery time, and the log pruned after its retention."""

from datetime import timedelta

from sqlalchemy import select, update

from surveys.core.db import db, utcnow
from surveys.webhook import delivery as webhook_delivery
from surveys.webhook import outbox
from surveys.webhook.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests.support.helpers import create_survey, table_count, tick
from tests.support.receiver import Receiver


def _endpoint(client, workspace, url, events=("ping",)):
    events = [e for e in events if e != "ping"] or ["roadmap_item.status_changed"]
    answer = client.post(
        "/api/v1/webhook-endpoints", json={"url": url, "events": events}, headers=workspace.headers
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def _ping(client, workspace, endpoint_id) -> str:
    answer = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/test", headers=workspace.headers)
    assert answer.status_code == 202, answer.json
    return answer.json["id"]


def _delivery(app, delivery_id) -> WebhookDelivery:
    with app.app_context():
        row = db.session.get(WebhookDelivery, delivery_id)
        attempts = list(
            db.session.execute(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.number)
            ).scalars()
        )
        db.session.expunge_all()
        db.session.remove()
    row.attempts_seen = attempts
    return row


def _make_due(app, delivery_id) -> None:
    with app.app_context():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1), lease_until=None)
        )
        db.session.commit()
        db.session.remove()


def test_a_failing_receiver_is_retried_with_the_same_id_and_a_fresh_signature(
    client, workspace, receiver, run_worker, app
):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=500, body=b"database down")
    delivery_id = _ping(client, workspace, endpoint["id"])
    before = utcnow()
    run_worker()
    row = _delivery(app, delivery_id)
    assert row.status == "pending" and row.attempts == 1 and row.last_status_code == 500
    wait = (row.next_attempt_at - before).total_seconds()
    assert 5 * 0.8 - 1 <= wait <= 5 * 1.2 + 2  # the first step of the schedule, with jitter
    assert row.attempts_seen[0].error == "HTTP 500 from the receiver"
    assert row.attempts_seen[0].response_excerpt == "database down"

    receiver.reset(status=204)
    run_worker()
    assert len(receiver.received) == 1  # not due yet: nothing new is sent
    _make_due(app, delivery_id)
    assert tick(app)["webhooks_due"] == 1
    run_worker()
    row = _delivery(app, delivery_id)
    assert row.status == "succeeded" and row.attempts == 2
    first, second = receiver.received
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert [a.status_code for a in row.attempts_seen] == [500, 204]


def test_retry_after_is_honoured(client, workspace, receiver, run_worker, app):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=503, headers={"Retry-After": "600"})
    delivery_id = _ping(client, workspace, endpoint["id"])
    before = utcnow()
    run_worker()
    row = _delivery(app, delivery_id)
    assert (row.next_attempt_at - before).total_seconds() >= 600


def test_after_the_last_attempt_the_delivery_is_failed(client, workspace, receiver, run_worker, app):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=500)
    delivery_id = _ping(client, workspace, endpoint["id"])
    for _ in range(webhook_delivery.MAX_ATTEMPTS):
        _make_due(app, delivery_id)
        tick(app)
        run_worker()
    row = _delivery(app, delivery_id)
    assert row.status == "failed" and row.attempts == webhook_delivery.MAX_ATTEMPTS
    assert len(receiver.received) == webhook_delivery.MAX_ATTEMPTS
    _make_due(app, delivery_id)
    assert tick(app)["webhooks_due"] == 0


def test_410_disables_the_endpoint_at_once_and_enabling_it_sends_what_waited(
    client, workspace, receiver, run_worker, app
):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=410)
    first = _ping(client, workspace, endpoint["id"])
    run_worker()
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=workspace.headers).json
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    assert _delivery(app, first).status == "failed"

    waiting = _ping(client, workspace, endpoint["id"])
    run_worker()
    assert len(receiver.received) == 1 and _delivery(app, waiting).status == "pending"
    receiver.reset(status=200)
    answer = client.patch(
        f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True}, headers=workspace.headers
    )
    assert answer.json["enabled"] is True and answer.json["disabled_reason"] is None
    run_worker()
    assert _delivery(app, waiting).status == "succeeded"


def test_redirects_are_never_followed(client, workspace, receiver, run_worker, app):
    inside = Receiver()
    try:
        endpoint = _endpoint(client, workspace, receiver.url)
        receiver.reset(status=302, headers={"Location": inside.url})
        delivery_id = _ping(client, workspace, endpoint["id"])
        run_worker()
        row = _delivery(app, delivery_id)
        assert inside.received == []
        assert row.status == "pending" and "redirects are not followed" in row.last_error
    finally:
        inside.stop()


def test_a_hanging_receiver_times_out(client, workspace, receiver, run_worker, app, monkeypatch):
    from surveys.core import outbound

    monkeypatch.setattr(outbound, "TIMEOUT", (1, 0.5))
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(delay=2)
    delivery_id = _ping(client, workspace, endpoint["id"])
    run_worker()
    row = _delivery(app, delivery_id)
    assert row.status == "pending" and row.last_error == "timed out waiting for the receiver"
    assert row.attempts_seen[0].status_code is None


def test_a_connection_closed_mid_reply_is_a_failed_attempt(client, workspace, receiver, run_worker, app):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(close=True)
    delivery_id = _ping(client, workspace, endpoint["id"])
    run_worker()
    row = _delivery(app, delivery_id)
    assert row.status == "pending" and row.attempts == 1 and row.last_error


def test_a_huge_reply_is_read_only_as_far_as_the_excerpt(client, workspace, receiver, run_worker, app):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=200, body=b"x" * (10 * 1024 * 1024))
    delivery_id = _ping(client, workspace, endpoint["id"])
    run_worker()
    row = _delivery(app, delivery_id)
    assert row.status == "succeeded"
    assert len(row.attempts_seen[0].response_excerpt) == webhook_delivery.EXCERPT_BYTES


def test_a_dead_workers_delivery_is_taken_up_after_its_lease(client, workspace, receiver, run_worker, app):
    endpoint = _endpoint(client, workspace, receiver.url)
    delivery_id = _ping(client, workspace, endpoint["id"])
    with app.app_context():  # a worker claims it, then dies before calling the receiver
        assert webhook_delivery._claim(db.session, utcnow()) == delivery_id
        db.session.remove()
    run_worker()  # the queued job finds the row leased: not due
    assert receiver.received == []
    assert tick(app)["webhooks_due"] == 0
    with app.app_context():
        db.session.execute(update(WebhookDelivery).values(lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    assert tick(app)["webhooks_due"] == 1
    run_worker()
    assert len(receiver.received) == 1 and _delivery(app, delivery_id).status == "succeeded"


def test_answers_arriving_while_redis_is_down_are_delivered_later(
    client, workspace, receiver, run_worker, app
):
    _endpoint(client, workspace, receiver.url, events=("response.created",))
    survey = create_survey(client, workspace.headers)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    answer = client.post(
        "/api/v1/responses",
        json={"survey_id": survey["id"], "score": 4, "contact": {"external_id": "r-1"}},
        headers=workspace.headers,
    )
    assert answer.status_code == 201
    app.config["REDIS_URL"] = app.config["RATELIMIT_STORAGE_URI"]
    assert run_worker() == 0 and receiver.received == []
    assert tick(app)["webhooks_due"] == 1
    run_worker()
    assert [p["data"]["response"]["id"] for p in receiver.payloads()] == [answer.json["id"]]


def test_an_endpoint_deleted_with_work_queued_gets_nothing(
    client, workspace, receiver, run_worker, db_session
):
    endpoint = _endpoint(client, workspace, receiver.url)
    _ping(client, workspace, endpoint["id"])
    assert (
        client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=workspace.headers).status_code
        == 204
    )
    run_worker()
    assert receiver.received == []
    assert table_count(db_session, WebhookDelivery) == 0


def test_an_address_refused_at_delivery_time_is_never_called(client, workspace, receiver, run_worker, app):
    endpoint = _endpoint(client, workspace, receiver.url)
    delivery_id = _ping(client, workspace, endpoint["id"])
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = False  # the operator withdrew the opt-in
    run_worker()
    row = _delivery(app, delivery_id)
    assert receiver.received == []
    assert row.status == "pending" and row.last_error.startswith("refused:")


def test_sustained_failure_disables_the_endpoint_and_tells_the_admins(
    client, workspace, receiver, run_worker, app, smtp_server
):
    from surveys.workspace.models import Workspace
    from surveys.workspace.service import create_user

    with app.app_context():
        ws = db.session.get(Workspace, workspace.workspace.id)
        create_user(
            db.session, workspace=ws, email="admin@acme.test", role="admin", password="a-long-password-1"
        )
        create_user(
            db.session, workspace=ws, email="pm@acme.test", role="analyst", password="a-long-password-2"
        )
        db.session.commit()
        db.session.remove()
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=500)
    with app.app_context():
        db.session.execute(
            update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(days=3, minutes=1))
        )
        db.session.commit()
        db.session.remove()
    _ping(client, workspace, endpoint["id"])
    run_worker()
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=workspace.headers).json
    assert shown["enabled"] is False and "failed for 3 days" in shown["disabled_reason"]
    assert [m["To"] for m in smtp_server.messages] == ["admin@acme.test"]
    assert receiver.url in smtp_server.messages[0].get_content()


def test_a_rolled_back_change_sends_nothing(client, workspace, receiver, app):
    endpoint = _endpoint(client, workspace, receiver.url, events=("roadmap_item.status_changed",))
    with app.app_context():
        written = outbox.emit(
            db.session,
            workspace_id=workspace.workspace.id,
            event_type="roadmap_item.status_changed",
            items=[{"roadmap_item": {"id": "x"}, "previous_status": "idea"}],
        )
        assert written == 1
        db.session.rollback()
        assert table_count(db.session, WebhookMessage) == 0
        assert table_count(db.session, WebhookDelivery) == 0
        db.session.remove()
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=workspace.headers)
    assert shown.json["items"] == []


def test_another_workspaces_endpoint_hears_nothing(client, workspace, receiver, run_worker, app):
    from surveys.workspace.service import create_api_key, create_workspace

    with app.app_context():
        other = create_workspace(db.session, name="Other", slug="other")
        key = create_api_key(db.session, workspace=other, role="admin")[1]
        db.session.commit()
        db.session.remove()
    client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "events": ["response.created"]},
        headers={"Authorization": f"Bearer {key}"},
    )
    survey = create_survey(client, workspace.headers)
    client.post(
        "/api/v1/responses",
        json={"survey_id": survey["id"], "score": 4, "contact": {"external_id": "r-1"}},
        headers=workspace.headers,
    )
    run_worker()
    assert receiver.received == []


def test_old_deliveries_are_pruned_with_their_attempts_and_messages(
    client, workspace, receiver, run_worker, app
):
    endpoint = _endpoint(client, workspace, receiver.url)
    _ping(client, workspace, endpoint["id"])
    run_worker()
    with app.app_context():
        assert webhook_delivery.prune(db.session, retention=timedelta(days=30)) == 0
        removed = webhook_delivery.prune(
            db.session, now=utcnow() + timedelta(days=31), retention=timedelta(days=30)
        )
        db.session.commit()
        assert removed == 1
        assert table_count(db.session, WebhookAttempt) == 0
        assert table_count(db.session, WebhookMessage) == 0
        db.session.remove()


def test_an_invitation_given_up_on_is_announced(client, workspace, receiver, run_worker, app, db_session):
    from surveys.invitation.models import Invitation
    from tests.support.helpers import make_invitation

    _endpoint(client, workspace, receiver.url, events=("invitation.failed",))
    invitation = make_invitation(db_session, workspace.workspace.id, status="scheduled")
    db_session.execute(update(Invitation).where(Invitation.id == invitation.id).values(attempts=4))
    db_session.commit()
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"  # nothing listens: the last attempt fails
    tick(app)
    run_worker()  # the send fails for good and writes the event
    run_worker()  # the event is delivered
    assert db_session.get(Invitation, invitation.id).status == "failed"
    [payload] = receiver.payloads()
    assert payload["type"] == "invitation.failed"
    data = payload["data"]["invitation"]
    assert data["id"] == invitation.id and data["status"] == "failed" and data["error"]
