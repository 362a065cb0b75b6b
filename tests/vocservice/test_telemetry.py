"""GET /metrics: hidden without a token, refused with a wrong one, and the named families with the
figures of what happened (requests, queues, jobs, invitations, analysis, webhook deliveries)."""

import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from surveys.core.db import db, utcnow
from surveys.invitation.models import Invitation

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-secret-token"
FAMILIES = {
    "vocservice_http_requests",
    "vocservice_http_request_duration_seconds",
    "vocservice_queue_depth",
    "vocservice_queue_oldest_job_age_seconds",
    "vocservice_queue_jobs",
    "vocservice_invitations_due",
    "vocservice_invitations_overdue",
    "vocservice_analysis_backlog",
    "vocservice_webhook_deliveries",
    "vocservice_webhook_outbox",
    "vocservice_redis_up",
}


def _scrape(client) -> dict[tuple[str, tuple], float]:
    reply = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200 and reply.mimetype == "text/plain"
    return _samples(reply.get_data(as_text=True))


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    families = list(text_string_to_metric_families(text))
    assert {f.name for f in families} >= FAMILIES
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_is_not_found_without_a_configured_token(app, client):
    app.config["VOC_METRICS_TOKEN"] = None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_metrics_refuses_a_missing_or_wrong_token(app, client):
    app.config["VOC_METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 401
    for header in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer ", TOKEN):
        reply = client.get("/metrics", headers={"Authorization": header})
        assert reply.status_code == 401, header


def test_metrics_count_requests_queues_and_due_work(app, client, workspace, run_worker):
    app.config["VOC_METRICS_TOKEN"] = TOKEN
    before = _scrape(client)
    survey = client.post(
        "/api/v1/surveys",
        json={"name": "NPS", "kind": "nps", "question": "How likely?", "status": "active"},
        headers=workspace.headers,
    ).json
    for score in (2, 9, 10):
        posted = client.post(
            "/api/v1/responses",
            json={"survey_id": survey["id"], "score": score, "comment": "Support was slow to answer."},
            headers=workspace.headers,
        )
        assert posted.status_code == 201
    assert client.get("/api/v1/surveys/nope", headers=workspace.headers).status_code == 404
    assert client.get("/no/such/page/123").status_code == 404
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    touchpoint = client.post(
        "/api/v1/touchpoints",
        json={
            "name": "Hook",
            "event": "order.delivered",
            "survey_id": survey["id"],
            "channel": "webhook",
            "webhook_url": "http://127.0.0.1:1/voc",  # refused: every send fails
        },
        headers=workspace.headers,
    )
    assert touchpoint.status_code == 201, touchpoint.json
    for n in range(3):
        event = client.post(
            "/api/v1/events",
            json={"id": f"ev-{n}", "name": "order.delivered", "contact": {"external_id": f"c{n}"}},
            headers=workspace.headers,
        )
        assert event.status_code == 202 and event.json["invitations"][0]["status"] == "scheduled"
    now = utcnow()
    with app.app_context():
        ids = [i.id for i in db.session.query(Invitation).order_by(Invitation.id)]
        # One due just now, one due for an hour (overdue), one given up, one still in flight.
        db.session.execute(update(Invitation).where(Invitation.id == ids[0]).values(scheduled_for=now))
        db.session.execute(
            update(Invitation).where(Invitation.id == ids[1]).values(scheduled_for=now - timedelta(hours=1))
        )
        db.session.execute(update(Invitation).where(Invitation.id == ids[2]).values(status="failed"))
        db.session.commit()
        db.session.remove()

    during = _scrape(client)
    requests = "vocservice_http_requests_total"
    post_responses = {"endpoint": "responses.post_response", "method": "POST", "status": "2xx"}
    assert _value(during, requests, **post_responses) - _value(before, requests, **post_responses) == 3
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "4xx"}
    assert _value(during, requests, **unmatched) - _value(before, requests, **unmatched) == 1
    assert not any("nope" in str(key) or "/no/such" in str(key) for key in during)  # no raw paths
    latency = "vocservice_http_request_duration_seconds_count"
    assert _value(during, latency, **post_responses) - _value(before, latency, **post_responses) == 3
    assert _value(during, "vocservice_analysis_backlog") == 3
    # Three commented answers, one waiting analyze_pending job (the queue coalesces them).
    assert _value(during, "vocservice_queue_depth", queue="nlp") == 1
    assert _value(during, "vocservice_queue_oldest_job_age_seconds", queue="nlp") >= 0
    assert ("vocservice_queue_oldest_job_age_seconds", (("queue", "nlp"),)) in during
    assert _value(during, "vocservice_invitations_due") == 2
    assert _value(during, "vocservice_invitations_overdue") == 1
    assert _value(during, "vocservice_webhook_deliveries", state="failed") == 1
    assert _value(during, "vocservice_webhook_deliveries", state="sending") == 0
    assert _value(during, "vocservice_redis_up") == 1

    assert run_worker() == 1  # the one analyze_pending job analyses all three
    after = _scrape(client)
    assert _value(after, "vocservice_analysis_backlog") == 0
    assert _value(after, "vocservice_queue_depth", queue="nlp") == 0
    assert _value(after, "vocservice_queue_oldest_job_age_seconds", queue="nlp") == 0
    assert _value(after, "vocservice_queue_jobs", queue="nlp", state="finished") == 1
    assert _value(after, "vocservice_queue_jobs", queue="nlp", state="failed") == 0
    # The webhook sends to an unreachable host were attempted: none is left "sending".
    assert _value(after, "vocservice_webhook_deliveries", state="sending") == 0


def test_metrics_under_the_procfiles_gunicorn_add_up_every_worker(app, tmp_path):
    """The Procfile's web command with two workers: whichever worker answers the scrape, the
    request counts are those of both (prometheus_client's multi-process mode)."""
    from tests.vocservice.test_logs import _free_port, _procfile_web_command

    port = _free_port()
    args = [
        a.replace("${WEB_CONCURRENCY:-2}", "2").replace("0.0.0.0:${PORT:-5000}", f"127.0.0.1:{port}")
        for a in _procfile_web_command()
    ]
    args[args.index("--access-logfile") + 1] = str(tmp_path / "access.log")
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        "VOC_METRICS_TOKEN": TOKEN,
    }
    binary = Path(sys.executable).parent / args[0]
    server = subprocess.Popen([str(binary), *args[1:]], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # bounded wait for the server to listen
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(20):
            assert urllib.request.urlopen(f"{base}/healthz", timeout=10).status == 200
        counts = set()
        for _ in range(6):
            request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            samples = _samples(urllib.request.urlopen(request, timeout=10).read().decode())
            counts.add(
                _value(
                    samples,
                    "vocservice_http_requests_total",
                    endpoint="health.healthz",
                    method="GET",
                    status="2xx",
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert counts == {20.0}


def test_metrics_count_outbound_webhook_deliveries_waiting_and_given_up(app, client, workspace, run_worker):
    from surveys.webhook.models import WebhookDelivery
    from tests.support.receiver import Receiver

    app.config["VOC_METRICS_TOKEN"] = TOKEN
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    receiver = Receiver()
    try:
        receiver.reset(status=500)
        endpoint = client.post(
            "/api/v1/webhook-endpoints",
            json={"url": receiver.url, "events": ["response.created"]},
            headers=workspace.headers,
        ).json
        for _ in range(3):
            client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=workspace.headers)
        run_worker()
        with app.app_context():
            first = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).first()
            db.session.execute(
                update(WebhookDelivery).where(WebhookDelivery.id == first.id).values(status="failed")
            )
            db.session.commit()
            db.session.remove()
        samples = _scrape(client)
        assert _value(samples, "vocservice_webhook_outbox", state="pending") == 2
        assert _value(samples, "vocservice_webhook_outbox", state="failed") == 1
    finally:
        receiver.stop()
