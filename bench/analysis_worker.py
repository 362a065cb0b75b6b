"""Throughput of the analysis worker path against bare spaCy + VADER on the same comments.

N SemEval-2014 restaurant sentences are stored as responses in a throwaway PostgreSQL database
(a workspace on the ``restaurant`` taxonomy), then analysed three ways in the same run:

- baseline: the same spaCy pipeline through ``nlp.pipe`` plus one plain VADER call per text,
  no database (what ``bench/nlp_throughput.py`` calls the baseline);
- job function in process: ``vocservice.jobs.analyze_responses`` over batches of 200 ids, as a
  work horse runs it: claim, row locks, analysis, upserts, theme rows, commits;
- real worker: ``python worker.py nlp`` (forks a work horse per job) fed the same batches
  through Redis, timed from enqueue until PostgreSQL says every response is done. Its peak RSS
  (largest of the worker and its work horses) is read when it exits.

Run: ``.venv/bin/python bench/analysis_worker.py [--quick]``. Environment:
``BENCH_ANALYSIS_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/
vocservice_bench_analysis``, DROPPED and re-created) and ``BENCH_ANALYSIS_REDIS_URL``
(default ``redis://127.0.0.1:6379/11``, flushed).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, make_url, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_nlp import eval_dir  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_ANALYSIS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_analysis"
)
REDIS_URL = os.environ.get("BENCH_ANALYSIS_REDIS_URL", "redis://127.0.0.1:6379/11")
JOB_SIZE = int(os.environ.get("BENCH_JOB_SIZE", "500"))


def _recreate_database() -> str:
    url = make_url(DATABASE_URL)
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def load_texts(limit: int) -> list[str]:
    root = ET.parse(eval_dir() / "semeval2014_restaurants_train.xml").getroot()
    return [s.findtext("text") or "" for s in root.iter("sentence")][:limit]


def seed(app, texts: list[str]) -> list[str]:
    from surveys.core.db import db, utcnow
    from surveys.response.models import Response
    from surveys.survey.models import Survey
    from surveys.workspace.service import create_workspace

    with app.app_context():
        ws = create_workspace(db.session, name="Bench Bistro", slug="bench", taxonomy="restaurant")
        survey = Survey(workspace_id=ws.id, name="Visit", kind="nps", question="Recommend us?")
        db.session.add(survey)
        db.session.flush()
        now = utcnow()
        # Stored as already analysed so nothing is enqueued; each run marks them pending.
        rows = [
            Response(
                workspace_id=ws.id,
                survey_id=survey.id,
                score=i % 11,
                comment=text,
                source="api",
                meta={},
                attributes={},
                analysis_status="done",
                submitted_at=now - timedelta(seconds=i),
            )
            for i, text in enumerate(texts)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = sorted(r.id for r in rows)
        db.session.remove()
    return ids


def mark_pending(app) -> None:
    from surveys.core.db import db
    from surveys.response.models import Response

    with app.app_context():
        db.session.execute(
            update(Response).values(analysis_status="pending", analysis_attempts=0, analysis_enqueued_at=None)
        )
        db.session.commit()
        db.session.remove()


def done_count(app) -> int:
    from surveys.core.db import db
    from surveys.response.models import Response

    with app.app_context():
        value = db.session.execute(
            select(func.count()).where(Response.analysis_status == "done")
        ).scalar_one()
        db.session.remove()
    return value


def run_baseline(texts: list[str]) -> float:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from nlp.pipeline import get_nlp

    nlp, vader = get_nlp(), SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for doc in nlp.pipe(texts, batch_size=64):
        vader.polarity_scores(doc.text)
    return time.perf_counter() - started


def run_in_process(app, ids: list[str]) -> float:
    from vocservice import jobs

    mark_pending(app)
    started = time.perf_counter()
    for start in range(0, len(ids), JOB_SIZE):
        jobs.analyze_responses(ids[start : start + JOB_SIZE], _app=app)
    elapsed = time.perf_counter() - started
    assert done_count(app) == len(ids)
    return elapsed


def run_real_worker(app, ids: list[str], db_url: str) -> tuple[float, float]:
    from redis import Redis

    from vocservice.queue import rq_queue

    Redis.from_url(REDIS_URL).flushdb()
    mark_pending(app)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }
    worker = subprocess.Popen(
        [sys.executable, "worker.py", "nlp"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(8)  # model load before forking is start-up cost, not throughput
        queue = rq_queue("nlp", REDIS_URL)
        started = time.perf_counter()
        for start in range(0, len(ids), JOB_SIZE):
            queue.enqueue("vocservice.jobs.analyze_responses", ids[start : start + JOB_SIZE], job_timeout=600)
        while done_count(app) < len(ids):
            if worker.poll() is not None:
                raise SystemExit("worker exited early")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return elapsed, peak_mib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="600 comments instead of 3,000")
    args = parser.parse_args()
    texts = load_texts(600 if args.quick else 3000)
    db_url = _recreate_database()

    from flask_migrate import upgrade

    from nlp.pipeline import warm_up
    from vocservice import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
    ids = seed(app, texts)
    warm_up()
    # Untimed passes first, so spaCy's vocabulary already holds every word for both sides
    # (the real worker gets the same from its start-up warm-up over recent comments).
    run_baseline(texts)
    run_in_process(app, ids)

    base = run_baseline(texts)
    ours = run_in_process(app, ids)
    real, peak = run_real_worker(app, ids, db_url)
    rate = len(texts) / base
    print(
        f"{len(texts)} SemEval-2014 comments as stored responses, batches of {JOB_SIZE}, "
        f"PostgreSQL, restaurant taxonomy"
    )
    print(f"  {'':<56} {'seconds':>8} {'comments/s':>11} {'ratio':>6}")
    print(f"  {'bare nlp.pipe + VADER, no database (baseline)':<56} {base:8.2f} {rate:11.0f} {1:6.2f}")
    for label, elapsed in (
        ("analyze_responses job, in process (claim+analyse+store)", ours),
        ("python worker.py nlp, fork per job, via Redis", real),
    ):
        ours_rate = len(texts) / elapsed
        print(f"  {label:<56} {elapsed:8.2f} {ours_rate:11.0f} {ours_rate / rate:6.2f}")
    print(f"  worker peak RSS (parent or largest work horse): {peak:.0f} MiB")
    print(f"  this process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
