"""End to end through real processes: the API, the tick, and ``python worker.py`` (a forking RQ
worker) delivering an email to a real SMTP server."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from surveys.core.db import db
from surveys.invitation.models import Invitation
from tests.conftest import TEST_REDIS_URL
from tests.support.helpers import create_survey, create_touchpoint, event

ROOT = Path(__file__).resolve().parents[2]


def test_worker_process_delivers_invitation(app, client, workspace, smtp_server):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"], channel="email")
    invitation = client.post("/api/v1/events", json=event(), headers=workspace.headers).json["invitations"][0]
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": TEST_REDIS_URL,
        "SMTP_URL": smtp_server.url,
        "PUBLIC_BASE_URL": "http://voc.test",
    }
    tick = subprocess.run(
        [sys.executable, "-m", "vocservice.cli", "tick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tick.returncode == 0, tick.stderr
    assert '"sends_enqueued": 1' in tick.stdout
    worker = subprocess.Popen(
        [sys.executable, "worker.py", "default"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            with app.app_context():
                status = db.session.get(Invitation, invitation["id"]).status
                db.session.remove()
            if status == "sent":
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert status == "sent", output[-3000:]
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] == "cust-1@example.com"
