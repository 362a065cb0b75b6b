"""Dispatch through the tick and a real RQ worker: email over a real SMTP server, the webhook
channel to a real local HTTP receiver, retries with backoff, reminders, expiry and the sweeper."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from surveys.core import jobs
from surveys.core.db import db, utcnow
from surveys.invitation.models import Invitation
from tests.support.helpers import create_survey, create_touchpoint, event, tick


def _invitation(app, invitation_id) -> Invitation:
    with app.app_context():
        inv = db.session.get(Invitation, invitation_id)
        db.session.expunge(inv)
        db.session.remove()
    return inv


def _email_invitation(client, workspace, **touchpoint) -> str:
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"], channel="email", **touchpoint)
    body = client.post("/api/v1/events", json=event(), headers=workspace.headers).json
    return body["invitations"][0]["id"]


def test_dispatch_email_is_sent_once_through_worker(app, client, workspace, smtp_server, run_worker):
    invitation_id = _email_invitation(client, workspace)
    assert tick(app)["sends_enqueued"] == 1
    assert tick(app)["sends_enqueued"] == 0  # already enqueued: not again
    assert run_worker() == 1
    [message] = smtp_server.messages
    assert message["To"] == "cust-1@example.com"
    assert "How likely are you to recommend Acme" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    token = _invitation(app, invitation_id).token
    assert f"http://voc.test/s/{token}?score=10" in html
    assert message["List-Unsubscribe"] == f"<http://voc.test/u/{token}>"
    sent = _invitation(app, invitation_id)
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1
    # A duplicate job for the same row does nothing.
    with app.app_context():
        jobs.defer(db.session, jobs.SEND_INVITATION, invitation_id)
        db.session.commit()
    run_worker()
    assert len(smtp_server.messages) == 1


def test_dispatch_delay_is_respected(app, client, workspace, smtp_server, run_worker):
    _email_invitation(client, workspace, delay_seconds=3600)
    assert tick(app)["sends_enqueued"] == 0
    assert tick(app, now=utcnow() + timedelta(hours=1, seconds=1))["sends_enqueued"] == 1


def test_dispatch_smtp_failure_reschedules_with_backoff(app, client, workspace, run_worker):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    invitation_id = _email_invitation(client, workspace)
    tick(app)
    run_worker()
    failed = _invitation(app, invitation_id)
    assert failed.status == "scheduled" and failed.attempts == 1
    assert failed.last_error and failed.scheduled_for > utcnow() + timedelta(seconds=30)


def test_dispatch_gives_up_after_max_attempts(app, client, workspace, run_worker):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"
    invitation_id = _email_invitation(client, workspace)
    for _ in range(5):
        tick(app, now=utcnow() + timedelta(days=1))
        with app.app_context():  # make it due again right away
            db.session.get(Invitation, invitation_id).scheduled_for = utcnow()
            db.session.commit()
        run_worker()
    failed = _invitation(app, invitation_id)
    assert failed.status == "failed"
    assert failed.reason.startswith("send_failed:")  # counted by reason in the funnel


def test_dispatch_reminder_sent_once_after_delay(app, client, workspace, smtp_server, run_worker):
    invitation_id = _email_invitation(client, workspace, reminder_after_days=3)
    tick(app)
    run_worker()
    sent = _invitation(app, invitation_id)
    assert sent.reminder_due_at - sent.sent_at == timedelta(days=3)
    assert tick(app)["reminders_enqueued"] == 0
    with app.app_context():
        db.session.get(Invitation, invitation_id).reminder_due_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert tick(app)["reminders_enqueued"] == 1
    run_worker()
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[0]["Message-ID"] != smtp_server.messages[1]["Message-ID"]
    assert tick(app)["reminders_enqueued"] == 0
    assert _invitation(app, invitation_id).reminded_at is not None


def test_dispatch_expiry_marks_unanswered_invitations(app, client, workspace):
    invitation_id = _email_invitation(client, workspace, expires_after_days=2)
    counts = tick(app, now=utcnow() + timedelta(days=2, seconds=1))
    assert counts["expired"] == 1
    assert _invitation(app, invitation_id).status == "expired"


def test_dispatch_stuck_send_of_dead_worker_is_released_and_sent(
    app, client, workspace, smtp_server, run_worker
):
    invitation_id = _email_invitation(client, workspace)
    with app.app_context():  # as if a worker claimed it and was SIGKILLed before sending
        inv = db.session.get(Invitation, invitation_id)
        inv.status, inv.enqueued_at, inv.attempts = "sending", utcnow() - timedelta(minutes=20), 1
        db.session.commit()
    counts = tick(app)
    assert counts["released"] == 1 and counts["sends_enqueued"] == 1
    run_worker()
    assert _invitation(app, invitation_id).status == "sent"
    assert len(smtp_server.messages) == 1


def test_dispatch_redis_down_loses_nothing(app, client, workspace, smtp_server, run_worker):
    real = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/15"  # Redis "stopped"
    invitation_id = _email_invitation(client, workspace)
    assert tick(app)["sends_enqueued"] == 1  # marked, but the enqueue itself failed
    app.config["REDIS_URL"] = real
    assert run_worker() == 0
    # Once Redis is back, the sweeper re-enqueues the row it could not hand over.
    counts = tick(app, now=utcnow() + timedelta(minutes=3))
    assert counts["sends_enqueued"] == 1
    run_worker()
    assert _invitation(app, invitation_id).status == "sent"
    assert len(smtp_server.messages) == 1


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server hook name
        length = int(self.headers["Content-Length"])
        self.received.append((dict(self.headers), self.rfile.read(length)))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    server.shutdown()
    server.server_close()


def test_dispatch_webhook_channel_posts_signed_invitation(app, client, workspace, receiver, run_worker):
    url, handler = receiver
    survey = create_survey(client, workspace.headers)
    refused = client.post(
        "/api/v1/touchpoints",
        headers=workspace.headers,
        json={
            "name": "sms",
            "event": "order.delivered",
            "survey_id": survey["id"],
            "channel": "webhook",
            "webhook_url": url,
        },
    )
    assert refused.status_code == 422  # loopback is refused by default
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    create_touchpoint(client, workspace.headers, survey["id"], channel="webhook", webhook_url=url)
    invitation = client.post("/api/v1/events", json=event(), headers=workspace.headers).json["invitations"][0]
    tick(app)
    run_worker()
    [(headers, body)] = handler.received
    headers = {k.lower(): v for k, v in headers.items()}
    # Signed with the outbound secret only: the inbound one (which would let this receiver forge
    # inbound events) signs nothing we send.
    Webhook(workspace.workspace.outbound_webhook_secret).verify(body.decode(), headers)
    assert workspace.workspace.outbound_webhook_secret != workspace.workspace.webhook_secret
    with pytest.raises(WebhookVerificationError):
        Webhook(workspace.workspace.webhook_secret).verify(body.decode(), headers)
    assert headers["host"] == url.split("/")[2]
    payload = json.loads(body)
    assert payload["type"] == "invitation.due"
    assert payload["data"]["url"] == invitation["url"]
    assert _invitation(app, invitation["id"]).status == "sent"


def test_dispatch_webhook_receiver_error_reschedules(app, client, workspace, receiver, run_worker):
    url, handler = receiver
    handler.status = 503
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"], channel="webhook", webhook_url=url)
    invitation = client.post("/api/v1/events", json=event(), headers=workspace.headers).json["invitations"][0]
    tick(app)
    run_worker()
    failed = _invitation(app, invitation["id"])
    assert failed.status == "scheduled" and "503" in failed.last_error
