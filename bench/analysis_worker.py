"""Analysis drained end to end by ``python worker.py`` against bare spaCy + VADER, same run.

Backlogs are created through the batch API (``POST /api/v1/responses/batch``, 1,000 answers a
request) in a throwaway PostgreSQL database while no worker runs, from SemEval-2014 restaurant
sentences (a workspace on the ``restaurant`` taxonomy):

- sparse: 3,000 answers, one in ten with a comment (the others never reach a worker);
- comment-heavy: 2,000 answers, every one with a comment.

Then ``python worker.py nlp`` starts; the clock runs from its "listening" line (models loaded,
start-up done) until PostgreSQL says no answer is pending (asked every 10 ms,
:data:`POLL_SECONDS`). Printed per backlog: seconds, comments/s, the ratio to the baseline, the
CPU seconds used meanwhile (by the worker, its children such as RQ's scheduler, and the PostgreSQL
server processes of its connections) and their ratio to the baseline's CPU seconds (steadier than
the clock when other work loads the machine), the RQ jobs the worker ran, and the worker's peak
RSS (``VmHWM`` of its process, read just before it is stopped).

Baseline: the same comments through ``nlp.pipe`` (the analyser's batch size) plus one plain VADER
call per text, no
database, no queue (what ``bench/nlp_throughput.py`` calls the baseline), timed in this run.

Run: ``.venv/bin/python bench/analysis_worker.py [--quick]``. Environment:
``BENCH_ANALYSIS_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/
vocservice_bench_analysis``, DROPPED and re-created) and ``BENCH_ANALYSIS_REDIS_URL`` (else
``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/11``, flushed).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg
from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_nlp import eval_dir  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_ANALYSIS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_analysis"
)
REDIS_URL = os.environ.get("BENCH_ANALYSIS_REDIS_URL") or os.environ.get(
    "BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"
)
PER_REQUEST = 1000


def _recreate_database() -> str:
    url = make_url(DATABASE_URL)
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def load_texts(limit: int) -> list[str]:
    root = ET.parse(eval_dir() / "semeval2014_restaurants_train.xml").getroot()
    texts = [s.findtext("text") or "" for s in root.iter("sentence")]
    return (texts * (limit // len(texts) + 1))[:limit]


def setup(app) -> tuple[dict, str]:
    from surveys.core.db import db
    from surveys.workspace.service import create_api_key, create_workspace

    with app.app_context():
        ws = create_workspace(db.session, name="Bench Bistro", slug="bench", taxonomy="restaurant")
        key = create_api_key(db.session, workspace=ws, role="admin")[1]
        db.session.commit()
        db.session.remove()
    headers = {"Authorization": f"Bearer {key}"}
    survey = app.test_client().post(
        "/api/v1/surveys",
        headers=headers,
        json={"name": "Visit", "kind": "nps", "question": "Recommend us?", "status": "active"},
    )
    assert survey.status_code == 201, survey.json
    return headers, survey.json["id"]


def post_backlog(app, headers: dict, survey_id: str, answers: int, texts: list[str], every: int) -> int:
    """``answers`` answers through the batch API, one in ``every`` with a comment; returns comments."""
    client, comments = app.test_client(), 0
    for start in range(0, answers, PER_REQUEST):
        items = []
        for i in range(start, min(start + PER_REQUEST, answers)):
            item = {"survey_id": survey_id, "score": i % 11}
            if i % every == 0:
                item["comment"] = texts[comments]
                comments += 1
            items.append(item)
        response = client.post("/api/v1/responses/batch", headers=headers, json={"responses": items})
        assert response.status_code == 200 and response.json["rejected"] == 0, response.json
    return comments


def queued_jobs() -> int:
    from vocservice.queue import rq_queue

    return rq_queue("nlp", REDIS_URL).count


def run_baseline(texts: list[str]) -> tuple[float, float]:
    """Seconds and CPU seconds of ``nlp.pipe`` (the analyser's batch size) + VADER per text."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from nlp.analyzer import DEFAULT_BATCH_SIZE
    from nlp.pipeline import get_nlp

    nlp, vader = get_nlp(), SentimentIntensityAnalyzer()
    started, cpu = time.perf_counter(), time.process_time()
    for doc in nlp.pipe(texts, batch_size=DEFAULT_BATCH_SIZE):
        vader.polarity_scores(doc.text)
    return time.perf_counter() - started, time.process_time() - cpu


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


WORKER_APP_NAME = "bench-analysis-worker"  # the worker's connections say so (PGAPPNAME)


def _backends(app) -> list[int]:
    """Server processes of the worker's database connections."""
    from sqlalchemy import text

    from surveys.core.db import db

    with app.app_context():
        pids = list(
            db.session.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": WORKER_APP_NAME},
            ).scalars()
        )
        db.session.remove()
    return pids


# How often the bench asks whether anything is pending while the worker drains: one prepared
# EXISTS on a plain connection (a fraction of a millisecond), so the end of the drain is seen
# within about 10 ms. (It was a 50 ms sleep between SQLAlchemy counts, which added 25 ms on
# average to a drain that takes about 130 ms for the 100-comment backlog.)
POLL_SECONDS = 0.01
_ANY_PENDING = "SELECT EXISTS (SELECT 1 FROM responses WHERE analysis_status = 'pending')"


def _plain_url(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _worker_pids(app, pid: int) -> list[int]:
    return [pid, *_children(pid), *_backends(app)]


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def drain_with_worker(app, db_url: str) -> tuple[float, float, int, float]:
    """Start ``python worker.py nlp``; seconds from its "listening" line to nothing pending, CPU
    seconds meanwhile (the worker, its children such as RQ's scheduler, and the PostgreSQL
    server processes of its connections), jobs it ran, its peak RSS in MiB."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "PGAPPNAME": WORKER_APP_NAME,
    }
    worker = subprocess.Popen(
        [sys.executable, "worker.py", "nlp"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    listening = threading.Event()

    def read() -> None:
        for line in worker.stdout:
            lines.append(line)
            if "listening on" in line:
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not listening.wait(300):
            raise SystemExit("worker did not start:\n" + "".join(lines[-30:]))
        started = time.perf_counter()
        cpu_before = {pid: _cpu_seconds(pid) for pid in _worker_pids(app, worker.pid)}
        with psycopg.connect(_plain_url(db_url), autocommit=True) as conn:
            while conn.execute(_ANY_PENDING, prepare=True).fetchone()[0]:
                if worker.poll() is not None:
                    raise SystemExit("worker exited early:\n" + "".join(lines[-30:]))
                time.sleep(POLL_SECONDS)
        elapsed = time.perf_counter() - started
        # What processes (and connections) started since counts in full.
        pids = {*cpu_before, *_worker_pids(app, worker.pid)}
        cpu = sum(_cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in pids)
        peak = _peak_rss_mib(worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        reader.join(timeout=5)
    jobs = sum(1 for line in lines if re.search(r"\bjob \S+ analyze_\w+ ", line))
    return elapsed, cpu, jobs, peak


def main() -> int:
    from redis import Redis

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 sparse answers and 500 comments instead of 3,000 and 2,000",
    )
    args = parser.parse_args()
    sparse_answers, heavy = (1000, 500) if args.quick else (3000, 2000)
    texts = load_texts(sparse_answers // 10 + heavy + 10)
    db_url = _recreate_database()
    Redis.from_url(REDIS_URL).flushdb()

    from flask_migrate import upgrade

    from nlp.pipeline import warm_up
    from vocservice import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
    headers, survey_id = setup(app)
    warm_up()
    run_baseline(texts)  # untimed: spaCy's vocabulary holds every word for the timed pass

    results = []
    offset = 0
    for label, answers, every in (
        (f"{sparse_answers:,} answers, 1 in 10 with a comment", sparse_answers, 10),
        (f"{heavy:,} answers, all with a comment", heavy, 1),
    ):
        backlog_texts = texts[offset:]
        started = time.perf_counter()
        comments = post_backlog(app, headers, survey_id, answers, backlog_texts, every)
        api_seconds = time.perf_counter() - started
        offset += comments
        queued = queued_jobs()
        base, base_cpu = run_baseline(backlog_texts[:comments])
        elapsed, cpu, jobs, peak = drain_with_worker(app, db_url)
        results.append((label, comments, api_seconds, queued, base, base_cpu, elapsed, cpu, jobs, peak))

    print("Analysis drained by `python worker.py nlp` (SimpleWorker), backlogs posted through the batch")
    print(f"API ({PER_REQUEST:,} answers a request), SemEval-2014 restaurant sentences, PostgreSQL")
    print("(CPU: seconds of CPU used, for the worker its own, its children's and its PostgreSQL")
    print("server processes'; less sensitive than the clock to other load on the machine)")
    for label, comments, api_seconds, queued, base, base_cpu, elapsed, cpu, jobs, peak in results:
        rate, ours = comments / base, comments / elapsed
        print(f"  {label}: {comments:,} comments; posted in {api_seconds:.1f} s, {queued} job(s) queued")
        print(f"    {'':<44} {'seconds':>8} {'comments/s':>11} {'ratio':>6} {'CPU s':>6} {'ratio':>6}")
        print(
            f"    {'bare nlp.pipe + VADER, no database (baseline)':<44} {base:8.2f} {rate:11.0f}"
            f" {1:6.2f} {base_cpu:6.2f} {1:6.2f}"
        )
        print(
            f"    {'python worker.py nlp, end to end':<44} {elapsed:8.2f} {ours:11.0f}"
            f" {ours / rate:6.2f} {cpu:6.2f} {base_cpu / cpu:6.2f}"
        )
        print(f"    jobs run: {jobs}; worker peak RSS: {peak:.0f} MiB")
    print(f"  this process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
