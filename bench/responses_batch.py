"""``POST /api/v1/responses/batch`` (1,000 answers a request) and ``vocservice import responses``,
each beside a raw psycopg ``COPY`` of the same rows.

What it measures: the service on gunicorn (``--workers 2 --threads 4``) receives N batches
(default 20; ``--quick`` 6) of 1,000 answers to one NPS survey (unique sender ids, one in ten with
a comment, 40 answers per contact, each contact with a plan and a region, body < 256 KiB), one
batch at a time from one keep-alive client. Each item is validated on its own; contacts, answers
and daily rollups are written in one transaction and the commented answers queued for analysis
(no worker runs: the jobs just wait on Redis). Then ``vocservice import responses`` loads a CSV
of M rows (default 20,000; ``--quick`` 5,000) with the same shape, timed as a whole process
(start-up included, and without it: the start-up is measured by importing an empty file). The
baseline, in the same run and the same database, is the least a database-backed service could
do with the same data: ``json.loads`` of the same bodies (or ``csv`` reading of the same file)
and a psycopg ``COPY`` of the rows (id, survey id, score, comment, submitted_at, contact JSON,
metadata JSON) into a scratch table, one commit per 1,000.

How to read it: ``answers/s`` is accepted answers per second of wall time (target >= 5,000 for
ours); the ratio is ours / raw COPY. After the run the script checks that every answer was stored
once, that the daily rollups count exactly the stored answers, that only the commented ones are
pending analysis, and that re-posting a batch answers 200 with the first ids for every item.

Run: ``.venv/bin/python bench/responses_batch.py [--quick] [--batches 20] [--rows 20000]``
(about a minute). Results also go to ``bench/results/responses_batch.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from common import (  # noqa: E402
    BATCH,
    DATABASE_URL,
    ROOT,
    THREADS,
    VENV_BIN,
    WORKERS,
    Row,
    Sample,
    Server,
    batch_body,
    copy_bodies,
    copy_commit,
    copy_scratch,
    fresh_service,
    merge,
    plain_url,
    python_round,
    report,
    service_env,
    short_stamp,
)

COPY_TABLE = "bench_raw_responses"
COPY_DDL = """id text PRIMARY KEY, survey_id text NOT NULL, score int NOT NULL, comment text,
    submitted_at timestamptz NOT NULL, contact jsonb NOT NULL, metadata jsonb NOT NULL"""
COPY_COLUMNS = "id, survey_id, score, comment, submitted_at, contact, metadata"
COMMENTS = [
    "The reports are slow when we filter by quarter.",
    "Support answered within minutes, great team.",
    "Billing charged us twice this month.",
    "Love the new editor, fast and intuitive.",
]


def answers(prefix: str, start: int, count: int) -> list[dict]:
    out = []
    for n in range(start, start + count):
        answer = {
            "id": f"{prefix}{n}",
            "score": n % 11,
            "submitted_at": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:15:00Z",
            "contact": {
                "external_id": f"c{prefix}{n // 40}",
                "attributes": {"plan": ("free", "pro", "enterprise")[n % 3], "region": f"r{n % 4}"},
            },
        }
        if n % 10 == 0:
            answer["comment"] = COMMENTS[n // 10 % len(COMMENTS)]
        out.append(answer)
    return out


def make_batches(prefix: str, count: int, survey_id: str) -> list[bytes]:
    return [
        batch_body("responses", [{"survey_id": survey_id, **a} for a in answers(prefix, b * BATCH, BATCH)])
        for b in range(count)
    ]


def write_csv(path: Path, prefix: str, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["id", "score", "comment", "submitted_at", "external_id", "attributes.plan", "attributes.region"]
        )
        for a in answers(prefix, 0, rows):
            attrs = a["contact"]["attributes"]
            writer.writerow(
                [
                    a["id"],
                    a["score"],
                    a.get("comment", ""),
                    a["submitted_at"],
                    a["contact"]["external_id"],
                    attrs["plan"],
                    attrs["region"],
                ]
            )


def _copy_rows(document: dict) -> list[tuple]:
    return [
        (
            a["id"],
            a["survey_id"],
            a["score"],
            a.get("comment"),
            a["submitted_at"],
            json.dumps(a["contact"]),
            json.dumps(a.get("metadata") or {}),
        )
        for a in document["responses"]
    ]


def copy_batches(bodies: list[bytes]) -> Sample:
    return copy_bodies(COPY_TABLE, COPY_DDL, COPY_COLUMNS, bodies, _copy_rows)


def copy_csv(path: Path, survey_id: str) -> float:
    """Seconds to read the CSV and COPY its rows, 1,000 per commit."""
    with psycopg.connect(plain_url(DATABASE_URL)) as conn:
        copy_scratch(conn, COPY_TABLE, COPY_DDL)
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as f:
            chunk = []
            for rec in csv.DictReader(f):
                contact = {
                    "external_id": rec["external_id"],
                    "attributes": {"plan": rec["attributes.plan"], "region": rec["attributes.region"]},
                }
                chunk.append(
                    (
                        rec["id"],
                        survey_id,
                        int(rec["score"]),
                        rec["comment"] or None,
                        rec["submitted_at"],
                        json.dumps(contact),
                        "{}",
                    )
                )
                if len(chunk) == BATCH:
                    copy_commit(conn, COPY_TABLE, COPY_COLUMNS, chunk)
                    chunk = []
            if chunk:
                copy_commit(conn, COPY_TABLE, COPY_COLUMNS, chunk)
        return time.perf_counter() - started


def run_import(path: Path, survey_id: str) -> tuple[float, dict]:
    script = VENV_BIN / "vocservice"
    command = [str(script), "import", "responses", str(path), "--survey", survey_id]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=service_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])


def check_database(expected: int, commented: int) -> tuple[bool, str]:
    with psycopg.connect(plain_url(DATABASE_URL)) as conn:
        stored = conn.execute("select count(*) from responses").fetchone()[0]
        pending = conn.execute("select count(*) from responses where analysis_status = 'pending'").fetchone()[
            0
        ]
        pending_without = conn.execute(
            "select count(*) from responses where analysis_status = 'pending' and comment is null"
        ).fetchone()[0]
        rolled = conn.execute(
            "select coalesce(sum(responses), 0) from daily_rollups where dim = ''"
        ).fetchone()[0]
        by_plan = conn.execute(
            "select coalesce(sum(responses), 0) from daily_rollups where dim = 'attributes.plan'"
        ).fetchone()[0]
    ok = stored == expected == rolled == by_plan and pending == commented and pending_without == 0
    text = (
        f"database after the run: {stored} answers (expected {expected}), rollups count {rolled} "
        f"(by plan {by_plan}), {pending} pending analysis (expected {commented}, "
        f"{pending_without} of them without a comment)"
    )
    return ok, text + ("" if ok else "  MISMATCH")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="6 batches and 5,000 CSV rows")
    parser.add_argument("--batches", type=int, default=None)
    parser.add_argument("--rows", type=int, default=None, help="CSV rows to import")
    args = parser.parse_args(argv)
    count = args.batches or (6 if args.quick else 20)
    rows = args.rows or (5000 if args.quick else 20000)

    stamp = short_stamp()
    ws = fresh_service()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {ws.api_key}"}
    with Server("service_responses_batch", "wsgi:app") as svc:
        status, survey = svc.request(
            "POST",
            "/api/v1/surveys",
            {"name": "Bench NPS", "kind": "nps", "question": "Recommend us?"},
            headers,
        )
        if status != 201:
            raise SystemExit(f"POST /api/v1/surveys -> {status}: {survey}")
        warm = make_batches(f"w{stamp}.", 1, survey["id"])
        bodies = make_batches(f"m{stamp}.", count, survey["id"])
        status, first = svc.request_raw("POST", "/api/v1/responses/batch", warm[0], headers)
        if status != 200 or json.loads(first).get("accepted") != BATCH:
            raise SystemExit(f"warm-up batch -> {status}: {first[:500]!r}")
        ours_sample = python_round(
            svc.host,
            svc.port,
            lambda n: ("POST", "/api/v1/responses/batch", bodies[n], headers),
            clients=1,
            total=count,
            timeout=120,
        )
        if ours_sample.errors or set(ours_sample.statuses) != {200}:
            raise SystemExit(
                f"batches: statuses {dict(ours_sample.statuses)}, errors {ours_sample.first_error}"
            )
        status, again = svc.request_raw("POST", "/api/v1/responses/batch", bodies[0], headers)
        repeats = sum(1 for r in json.loads(again)["results"] if r["status"] == 200)

    body_kib = sum(map(len, bodies)) / len(bodies) / 1024
    copy_batches(warm)  # warm the connection path and the table's first pages
    base_sample = copy_batches(bodies)

    csv_path = ROOT / "bench" / "results" / "responses_import.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(csv_path, f"i{stamp}.", rows)
    empty = csv_path.with_name("responses_import_empty.csv")
    empty.write_text("id,score\n", encoding="utf-8")
    startup, _ = run_import(empty, survey["id"])  # the same command with nothing to import
    import_seconds, summary = run_import(csv_path, survey["id"])
    copy_seconds = copy_csv(csv_path, survey["id"])

    expected = (count + 1) * BATCH + rows
    commented = expected // 10
    consistent, db_note = check_database(expected, commented)
    consistent = consistent and repeats == BATCH and summary["created"] == rows

    ours = merge("vocservice", 1, [ours_sample])
    base = merge("raw COPY", 1, [base_sample])
    table = [
        Row("batch answers/s", ours.throughput * BATCH, base.throughput * BATCH, "", True, ">= 5000", 0),
        Row("batch latency p50", ours.p50_ms, base.p50_ms, "ms", False, None, 1),
        Row("batch latency p99", ours.p99_ms, base.p99_ms, "ms", False, None, 1),
        Row("batches measured", ours.requests, base.requests, "", True, None, 0),
        Row("CSV import rows/s", rows / import_seconds, rows / copy_seconds, "", True, ">= 5000", 0),
        Row(
            "CSV import rows/s, start-up excluded",
            rows / max(import_seconds - startup, 1e-3),
            rows / copy_seconds,
            "",
            True,
            ">= 5000",
            0,
        ),
        Row("CSV import seconds", import_seconds, copy_seconds, "s", False, None, 2),
    ]
    report(
        "responses_batch",
        f"POST /api/v1/responses/batch: {count} x {BATCH} answers ({body_kib:.0f} KiB each, 1 in 10 "
        f"commented), 1 client, gunicorn {WORKERS} workers x {THREADS} threads; "
        f"vocservice import responses: {rows:,} rows",
        table,
        notes=[
            "baseline: json.loads (or csv reading) + psycopg COPY of the same rows into a scratch "
            "table of the same database, one commit per 1,000 rows, same run",
            f"the CSV import is timed as a whole process; its start-up (the same command on an empty "
            f"file) took {startup:.2f} s of that",
            db_note,
            f"re-posting a batch: {repeats}/{BATCH} items answered 200 with their first id",
        ],
        extra={"ours": ours.__dict__, "baseline": base.__dict__, "import": summary},
    )
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
