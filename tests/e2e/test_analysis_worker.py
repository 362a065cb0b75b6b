"""The fault the issue demands: a real worker (``python worker.py nlp``) SIGKILLed in the middle of
a batch loses nothing and duplicates nothing: restarted, it takes the dead claim up again once its
lease has passed, with no sweeper; or the tick finds it due as soon as the lease has passed."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from surveys.analysis.models import Analysis, ResponseTheme
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.tick import run_tick
from tests.conftest import TEST_REDIS_URL
from tests.support.analysis import store_responses

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [
    "The billing page is confusing and I was charged twice this month.",
    "Support answered quickly, but the Salesforce integration still drops records every night.",
    "Dashboards load slowly when we filter by region, which makes the weekly review painful.",
    "Onboarding was smooth and the documentation is clear, although SSO setup took days.",
    "Pricing feels high for a small team, and the mobile app crashes on older phones.",
]


def _comments(n: int) -> list[str]:
    # Several sentences each, so one batch of 200 takes long enough to be interrupted.
    return [" ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(4)) + f" (#{i})" for i in range(n)]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _kill_worker(pid: int) -> None:
    # RQ puts each work horse in its own session, so killing the worker's process group would
    # leave the horse running: kill the horse(s) first, then the worker.
    for child in _children(pid):
        os.kill(child, signal.SIGKILL)
    os.killpg(pid, signal.SIGKILL)


def _snapshot(app) -> dict[str, int]:
    with app.app_context():
        session = db.session
        by_status = dict(
            session.execute(
                select(Response.analysis_status, func.count()).group_by(Response.analysis_status)
            ).all()
        )
        claimed = session.execute(
            select(func.count()).where(Response.analysis_status == "pending", Response.analysis_attempts > 0)
        ).scalar_one()
        analyses = session.execute(select(func.count()).select_from(Analysis)).scalar_one()
        distinct = session.execute(select(func.count(func.distinct(Analysis.response_id)))).scalar_one()
        orphans = session.execute(
            select(func.count())
            .select_from(ResponseTheme)
            .join(Response, Response.id == ResponseTheme.response_id)
            .where(Response.analysis_status != "done")
        ).scalar_one()
        db.session.remove()
    return {
        "done": by_status.get("done", 0),
        "pending": by_status.get("pending", 0),
        "failed": by_status.get("failed", 0),
        "claimed": claimed,
        "analyses": analyses,
        "distinct": distinct,
        "orphan_themes": orphans,
    }


def _start_worker(app) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": TEST_REDIS_URL,
        "PUBLIC_BASE_URL": "http://voc.test",
    }
    return subprocess.Popen(
        [sys.executable, "worker.py", "nlp"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _analysed_by_jobs(output: str) -> int:
    """Answers the worker's jobs say they stored (each job logs its outcome)."""
    return sum(int(n) for n in re.findall(r"job \S+ analyze_\w+ .* -> AnalyzeResult\(done=(\d+)", output))


def test_worker_sigkilled_mid_batch_resumes_on_restart_without_the_sweeper(app, workspace):
    total = 300
    store_responses(app, workspace.workspace.id, _comments(total))  # one analyze_pending job
    worker = _start_worker(app)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            state = _snapshot(app)
            if state["claimed"]:  # a batch is claimed and being analysed right now
                _kill_worker(worker.pid)
                break
            time.sleep(0.02)
    finally:
        if worker.poll() is None:
            _kill_worker(worker.pid)
        first_output = worker.communicate(timeout=30)[0]
    time.sleep(0.5)  # let PostgreSQL notice the dead connection and roll its transaction back
    at_kill = _snapshot(app)
    assert at_kill["claimed"] > 0 and at_kill["done"] < total, (at_kill, first_output[-3000:])
    # Nothing half-written: an analysis exists exactly for the rows marked done.
    assert at_kill["analyses"] == at_kill["distinct"] == at_kill["done"]
    assert at_kill["orphan_themes"] == 0

    # Restarted, and nothing else runs: no tick, no new answers. The restarted worker notices
    # the dead one's leases passing and takes its answers up again.
    worker = _start_worker(app)
    try:
        deadline = time.monotonic() + 90
        after = _snapshot(app)
        while time.monotonic() < deadline and after["done"] < total and worker.poll() is None:
            time.sleep(0.5)
            after = _snapshot(app)
    finally:
        worker.send_signal(signal.SIGTERM)
        second_output = worker.communicate(timeout=60)[0]
    assert after["done"] == total and after["pending"] == after["failed"] == 0, (after, second_output[-3000:])
    assert after["analyses"] == after["distinct"] == total
    assert after["orphan_themes"] == 0
    # Analysed once each: what the jobs of both workers stored adds up to the answers exactly.
    assert _analysed_by_jobs(first_output) + _analysed_by_jobs(second_output) == total, second_output[-3000:]
    with app.app_context():
        attempts = db.session.execute(select(func.max(Response.analysis_attempts))).scalar_one()
        leased = db.session.execute(
            select(func.count()).where(Response.analysis_lease_until.is_not(None))
        ).scalar_one()
        db.session.remove()
    assert attempts == 0 and leased == 0


def test_worker_sigkilled_then_swept_by_the_tick(app, workspace, run_worker):
    total = 300
    store_responses(app, workspace.workspace.id, _comments(total))
    worker = _start_worker(app)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            if _snapshot(app)["claimed"]:
                _kill_worker(worker.pid)
                break
            time.sleep(0.02)
    finally:
        if worker.poll() is None:
            _kill_worker(worker.pid)
        output = worker.communicate(timeout=30)[0]
    time.sleep(0.5)
    at_kill = _snapshot(app)
    assert at_kill["claimed"] > 0, (at_kill, output[-3000:])
    # The scheduler's tick, a minute later: the dead worker's leases have passed, so its answers
    # are due now, not after the ten-minute window for jobs that never started.
    with app.app_context():
        counts = run_tick(db.session, now=utcnow() + timedelta(minutes=1)).counts
        db.session.remove()
    assert counts["analyses_enqueued"] == at_kill["claimed"]
    run_worker()
    after = _snapshot(app)
    assert after["done"] == total and after["pending"] == after["failed"] == 0
    assert after["analyses"] == after["distinct"] == total
