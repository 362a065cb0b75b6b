"""Outbound webhooks: deliveries per second, and what subscribed endpoints add to an answer.

1. **Deliveries per second** to a local receiver that answers ``200`` at once (a separate
   process: ``http.server`` on 127.0.0.1). Ours: N pending deliveries written by the outbox, then
   drained by :func:`surveys.webhook.delivery.deliver_due`, the function the ``deliver_webhooks``
   job runs: claim each under a lease (committed), check and pin the address, sign afresh, post,
   record the attempt and the outcome (committed). Baseline, same run, same receiver, same bodies:
   a bare ``requests.post`` loop (no database, no signing, no checks).
2. **Extra latency of** ``POST /api/v1/responses`` (gunicorn 2x4, one client, keep-alive) with
   three endpoints subscribed to every answer event, against the same with none: the web request
   writes three messages and nine deliveries in its transaction and enqueues one job; it never
   waits for a delivery.

Run: ``.venv/bin/python bench/webhooks.py [--quick]`` (about a minute). Needs PostgreSQL and
Redis (``BENCH_DATABASE_URL``, ``BENCH_REDIS_URL``; the database named there is dropped).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from common import (  # noqa: E402
    Row,
    Server,
    free_port,
    fresh_service,
    merge,
    python_round,
    report,
    service_env,
)

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def start_receiver() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    url = f"http://127.0.0.1:{port}/hooks"
    for _ in range(100):
        try:
            requests.post(url, data=b"{}", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("the receiver did not start")


def deliveries_per_second(url: str, count: int) -> tuple[float, float, int]:
    """(ours/s, bare requests.post/s, delivered) for ``count`` messages."""
    import os

    os.environ.update({k: v for k, v in service_env(VOC_ALLOW_PRIVATE_WEBHOOK_URLS="1").items()})
    # REDIS_URL stays set: the job the outbox asks for waits in the bench's Redis, never runs,
    # and this process alone drains the outbox.
    from surveys.core.db import db
    from surveys.webhook import delivery, outbox
    from surveys.webhook.models import WebhookEndpoint, WebhookMessage
    from surveys.workspace.models import Workspace
    from vocservice import create_app
    from vocservice.config import webhook_settings

    app = create_app()
    with app.app_context():
        session = db.session
        workspace = session.query(Workspace).one()
        endpoint = WebhookEndpoint(
            workspace_id=workspace.id,
            url=url,
            events=["roadmap_item.status_changed"],
            secret="whsec_" + "A" * 43,
        )
        session.add(endpoint)
        session.flush()
        items = [
            {
                "roadmap_item": {"id": f"ri_{n}", "title": f"Item {n}", "status": "shipped"},
                "previous_status": "planned",
            }
            for n in range(count)
        ]
        outbox.emit(
            session,
            workspace_id=workspace.id,
            event_type="roadmap_item.status_changed",
            items=items,
            endpoint_ids=[endpoint.id],
        )
        session.commit()
        bodies = [json.dumps(m.payload).encode() for m in session.query(WebhookMessage)]
        settings = webhook_settings(app)
        started = time.perf_counter()
        delivered = 0
        while delivered < count:
            result = delivery.deliver_due(session, settings=settings, limit=count, budget=timedelta(hours=1))
            delivered += result.delivered
            if not result.delivered:
                break
        ours = delivered / (time.perf_counter() - started)
        session.remove()

    headers = {"content-type": "application/json"}
    started = time.perf_counter()
    for body in bodies:
        requests.post(url, data=body, headers=headers, timeout=10, allow_redirects=False)
    bare = len(bodies) / (time.perf_counter() - started)
    return ours, bare, delivered


def answer_latency(url: str, api_key: str, total: int):
    env = service_env(VOC_ALLOW_PRIVATE_WEBHOOK_URLS="1")
    auth = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    with Server("webhooks_service", "wsgi:app", env=env) as server:
        status, survey = server.request(
            "POST", "/api/v1/surveys", {"name": "Bench", "kind": "nps", "question": "How likely?"}, auth
        )
        assert status == 201, survey

        def make(n: int):
            body = {
                "survey_id": survey["id"],
                "score": n % 11,
                "comment": "",
                "contact": {"external_id": f"c{n}"},
            }
            return "POST", "/api/v1/responses", json.dumps(body).encode(), auth

        python_round(server.host, server.port, make, clients=1, total=50)  # warm-up
        none = merge("none", 1, [python_round(server.host, server.port, make, clients=1, total=total)])
        for _ in range(3):
            status, body = server.request(
                "POST",
                "/api/v1/webhook-endpoints",
                {"url": url, "events": ["response.created", "response.completed", "response.detractor"]},
                auth,
            )
            assert status == 201, body

        def make3(n: int):
            return make(n + 1_000_000)

        three = merge("three", 1, [python_round(server.host, server.port, make3, clients=1, total=total)])
    return none, three


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer deliveries and requests")
    args = parser.parse_args()
    count = 300 if args.quick else 1000
    total = 300 if args.quick else 1000
    workspace = fresh_service()
    receiver, url = start_receiver()
    try:
        none, three = answer_latency(url, workspace.api_key, total)
        ours, bare, delivered = deliveries_per_second(url, count)
    finally:
        receiver.terminate()
    rows = [
        Row("deliveries per second", ours, bare, "/s", True, None, 0),
        Row(
            "POST /api/v1/responses p50, 3 endpoints vs none", three.p50_ms, none.p50_ms, "ms", False, None, 2
        ),
        Row(
            "POST /api/v1/responses p95, 3 endpoints vs none", three.p95_ms, none.p95_ms, "ms", False, None, 2
        ),
    ]
    report(
        "webhooks",
        f"Outbound webhooks: {delivered} deliveries to a local receiver; "
        f"{total} answers with and without endpoints",
        rows,
        notes=[
            "deliveries: ours = claim, check, sign, post, record (two commits a delivery); "
            "baseline = bare requests.post",
            f"answers: statuses none={none.statuses} three={three.statuses}",
        ],
    )
    if delivered != count:
        raise SystemExit(f"only {delivered} of {count} deliveries succeeded")


if __name__ == "__main__":
    main()
