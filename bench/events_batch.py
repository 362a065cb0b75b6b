"""``POST /api/v1/events/batch`` with 1,000 events per request, beside a raw psycopg ``COPY``.

What it measures: the service on gunicorn (``--workers 2 --threads 4``) receives N batches
(default 20; ``--quick`` 6) of 1,000 compact journey events (unique event ids, a new contact
each, every one matching one active ``link`` touchpoint, body < 256 KiB), one batch at a time
from one keep-alive client (``--clients`` for more). Each batch is validated item by item, and
contacts, events and invitations are written in one transaction. The baseline, in the same run
and the same database, is the least a database-backed service could do with the same payloads:
``json.loads`` of the same bodies and a psycopg ``COPY`` of the 1,000 rows (id, name,
occurred_at, contact JSON, properties JSON) into a scratch table, one commit per batch.

How to read it: ``events/s`` is accepted events per second of wall time (target > 5,000 for
ours); the ratio is ours / raw COPY (how much of the database's raw ingest speed the whole
service keeps). ``batch latency`` is per 1,000-event request; higher is slower. After the run
the script checks that every event was accepted and stored once with its invitation.

Run: ``.venv/bin/python bench/events_batch.py [--quick] [--batches 20] [--clients 1]``
(about 30 s). Results also go to ``bench/results/events_batch.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from common import (  # noqa: E402
    BATCH,
    DATABASE_URL,
    THREADS,
    WORKERS,
    Row,
    Sample,
    Server,
    batch_body,
    copy_bodies,
    create_survey_and_touchpoint,
    fresh_service,
    merge,
    plain_url,
    python_round,
    report,
    short_stamp,
)

COPY_TABLE = "bench_raw_events"
COPY_DDL = """id text PRIMARY KEY, name text NOT NULL, occurred_at timestamptz NOT NULL,
    contact jsonb NOT NULL, properties jsonb NOT NULL"""
COPY_COLUMNS = "id, name, occurred_at, contact, properties"


def make_batches(prefix: str, count: int) -> list[bytes]:
    occurred = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    bodies = []
    for b in range(count):
        events = []
        for i in range(BATCH):
            key = f"{prefix}{b}.{i}"
            events.append(
                {
                    "id": key,
                    "name": "order.delivered",
                    "occurred_at": occurred,
                    "contact": {
                        "external_id": f"c{key}",
                        "email": f"c{key}@example.com",
                        "attributes": {"plan": "pro", "arr": 1200},
                    },
                    "properties": {"order_id": f"o{key}"},
                }
            )
        bodies.append(batch_body("events", events))
    return bodies


def _copy_rows(document: dict) -> list[tuple]:
    return [
        (e["id"], e["name"], e["occurred_at"], json.dumps(e["contact"]), json.dumps(e["properties"]))
        for e in document["events"]
    ]


def copy_baseline(bodies: list[bytes]) -> Sample:
    return copy_bodies(COPY_TABLE, COPY_DDL, COPY_COLUMNS, bodies, _copy_rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="6 batches instead of 20")
    parser.add_argument("--batches", type=int, default=None)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args(argv)
    count = args.batches or (6 if args.quick else 20)

    stamp = short_stamp()  # short: the key appears four times per event
    warm = make_batches(f"w{stamp}.", 1)
    bodies = make_batches(f"m{stamp}.", count)
    body_kib = sum(map(len, bodies)) / len(bodies) / 1024

    ws = fresh_service()
    with Server("service_events_batch", "wsgi:app") as svc:
        create_survey_and_touchpoint(svc, ws.api_key)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {ws.api_key}"}
        status, first = svc.request_raw("POST", "/api/v1/events/batch", warm[0], headers)
        answer = json.loads(first)
        if status != 200 or answer.get("accepted") != BATCH:
            raise SystemExit(f"warm-up batch -> {status}: {first[:500]!r}")
        ours_sample = python_round(
            svc.host,
            svc.port,
            lambda n: ("POST", "/api/v1/events/batch", bodies[n], headers),
            clients=args.clients,
            total=count,
            timeout=120,
        )
        if ours_sample.errors or set(ours_sample.statuses) != {200}:
            raise SystemExit(
                f"batches: statuses {dict(ours_sample.statuses)}, errors {ours_sample.first_error}"
            )
        # The same first batch again: every item must now be a duplicate (nothing stored twice).
        status, again = svc.request_raw("POST", "/api/v1/events/batch", bodies[0], headers)
        again_answer = json.loads(again)
        duplicates = sum(1 for r in again_answer["results"] if r.get("duplicate"))

    copy_baseline(warm)  # warm the connection path and the table's first pages
    base_sample = copy_baseline(bodies)

    with psycopg.connect(plain_url(DATABASE_URL)) as conn:
        events = conn.execute("select count(*) from events").fetchone()[0]
        invitations = conn.execute("select count(*) from invitations where status = 'scheduled'").fetchone()[
            0
        ]
    expected = (count + 1) * BATCH
    consistent = events == invitations == expected and duplicates == BATCH

    ours = merge("vocservice", args.clients, [ours_sample])
    base = merge("raw COPY", 1, [base_sample])
    rows = [
        Row("events/s", ours.throughput * BATCH, base.throughput * BATCH, "", True, "> 5000", 0),
        Row("batch latency p50", ours.p50_ms, base.p50_ms, "ms", False, None, 1),
        Row("batch latency p99", ours.p99_ms, base.p99_ms, "ms", False, None, 1),
        Row("batches measured", ours.requests, base.requests, "", True, None, 0),
    ]
    report(
        "events_batch",
        f"POST /api/v1/events/batch: {count} x {BATCH} events ({body_kib:.0f} KiB each), "
        f"{args.clients} client(s), gunicorn {WORKERS} workers x {THREADS} threads",
        rows,
        notes=[
            "baseline: json.loads + psycopg COPY of the same 1,000 rows per batch into a scratch "
            "table of the same database, one commit per batch, same run",
            f"database after the run: {events} events, {invitations} scheduled invitations "
            f"(expected {expected} each); re-posting a batch gave {duplicates}/{BATCH} duplicates"
            + ("" if consistent else "  MISMATCH"),
        ],
        extra={"ours": ours.__dict__, "baseline": base.__dict__},
    )
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
