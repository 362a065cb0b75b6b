"""The fault drill of outbound webhooks through real processes: ``python worker.py default`` is
SIGKILLed while a receiver holds its delivery; once the delivery's lease has passed, the tick asks
again and a restarted worker delivers the same message (same ``webhook-id``): nothing lost, and
the only duplicate is the documented at-least-once window."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from surveys.core.db import db
from surveys.webhook.models import WebhookDelivery
from tests.conftest import TEST_REDIS_URL
from tests.support.helpers import tick
from tests.support.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


def _worker(app) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": TEST_REDIS_URL,
        "PUBLIC_BASE_URL": "http://voc.test",
        "VOC_ALLOW_PRIVATE_WEBHOOK_URLS": "1",
        "VOC_WEBHOOK_LEASE_SECONDS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "worker.py", "default"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _kill_with_its_work_horse(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and the work horse it forked for the job (RQ puts the horse in a
    session of its own, so it is found as the worker's child, not by process group)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    for pid in [worker.pid, *map(int, children)]:
        os.kill(pid, signal.SIGKILL)
    worker.communicate(timeout=30)


def _wait(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _status(app, delivery_id: str) -> str:
    with app.app_context():
        status = db.session.get(WebhookDelivery, delivery_id).status
        db.session.remove()
    return status


def test_a_killed_worker_loses_no_delivery(app, client, workspace):
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    receiver = Receiver()
    receiver.reset(delay=30)  # holds the first delivery while the worker is killed
    try:
        endpoint = client.post(
            "/api/v1/webhook-endpoints",
            json={"url": receiver.url, "events": ["response.created"]},
            headers=workspace.headers,
        ).json
        delivery_id = client.post(
            f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=workspace.headers
        ).json["id"]
        worker = _worker(app)
        try:
            assert _wait(lambda: len(receiver.received) == 1), "the worker never called the receiver"
        finally:
            _kill_with_its_work_horse(worker)
        receiver.reset(delay=0)
        assert _status(app, delivery_id) == "pending"

        time.sleep(2.5)  # the dead worker's lease passes
        assert tick(app)["webhooks_due"] == 1
        worker = _worker(app)
        try:
            assert _wait(lambda: _status(app, delivery_id) == "succeeded"), "not delivered after the restart"
        finally:
            worker.send_signal(signal.SIGTERM)
            output = worker.communicate(timeout=30)[0]
        ids = [item["headers"]["webhook-id"] for item in receiver.received]
        assert len(ids) == 2 and ids[0] == ids[1], output[-2000:]
    finally:
        receiver.stop()
