"""``POST /api/v1/events`` under load, beside a bare Flask JSON endpoint on the same gunicorn.

What it measures: a closed loop of N keep-alive clients (default 8) posting journey events with
unique event ids, each for a new contact (``c-<n>``) that matches one active ``link`` touchpoint,
so every request authenticates its API key, validates the event, upserts the contact, stores the
event, decides and stores one invitation and commits: the full single-event path of the
collection loop. The baseline is ``bench/baseline_app.py``: a bare Flask view that parses the
same JSON and answers 202, under the same gunicorn settings (``--workers 2 --threads 4``),
measured in the same run with the same client.

How to read it: ``throughput`` is answered requests per second, its ratio is ours / bare
(target >= 0.25x); latencies are client-side (loopback network included) and their ratio is
ours / bare, so higher means slower; our p99 target is < 50 ms. The client shares the machine's
cores with gunicorn and PostgreSQL, so absolute numbers depend on the machine; the ratio is the
figure to quote. After the run the script checks that the database holds exactly one event and
one invitation per accepted request.

Run: ``.venv/bin/python bench/events_api.py [--quick] [--clients 8] [--seconds 20]``
(about 1 minute; ``--quick`` about 25 s). Results also go to ``bench/results/events_api.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from common import (  # noqa: E402
    DATABASE_URL,
    THREADS,
    WORKERS,
    RequestSpec,
    Server,
    check_statuses,
    client_name,
    create_survey_and_touchpoint,
    fresh_service,
    interleaved,
    load_rows,
    plain_url,
    report,
    service_env,
)


def event_spec(api_key: str, prefix: str) -> RequestSpec:
    occurred = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    body = json.dumps(
        {
            "id": "@N@",
            "name": "order.delivered",
            "occurred_at": occurred,
            "contact": {
                "external_id": "c-@N@",
                "email": "c.@N@@example.com",
                "attributes": {"plan": "pro", "arr": 1200},
            },
            "properties": {"order_id": "o-@N@"},
        },
        separators=(",", ":"),
    )
    return RequestSpec(
        "POST",
        "/api/v1/events",
        {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        body,
        prefix,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="shorter run (about 25 s)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per side")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure bench/floor_app.py: bare Flask plus only the event's durable writes",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (8.0 if args.quick else 24.0)
    warmup = 2.0 if args.quick else 3.0
    rounds = 2 if args.quick else 4

    ws = fresh_service()
    with ExitStack() as stack:
        bare = stack.enter_context(
            Server("baseline_events", "baseline_app:app", extra_args=["--pythonpath", "bench"])
        )
        svc = stack.enter_context(Server("service_events", "wsgi:app"))
        create_survey_and_touchpoint(svc, ws.api_key)
        status, sample = svc.request(
            "POST",
            "/api/v1/events",
            json.loads(event_spec(ws.api_key, "probe").factory()(0)[2]),
            {"Authorization": f"Bearer {ws.api_key}"},
        )
        if (
            status != 202
            or not sample.get("invitations")
            or sample["invitations"][0]["status"] != "scheduled"
        ):
            raise SystemExit(f"probe event -> {status}: {sample}")
        sides = [
            ("bare Flask", bare, lambda p: event_spec("unused", p)),
            ("vocservice", svc, lambda p: event_spec(ws.api_key, p)),
        ]
        if args.floor:
            # Started after the touchpoint exists: it reads the workspace's first one.
            env = service_env(BENCH_FLOOR_DATABASE_URL=plain_url(DATABASE_URL))
            floor = stack.enter_context(
                Server("floor_events", "floor_app:app", extra_args=["--pythonpath", "bench"], env=env)
            )
            sides.append(("SQL floor", floor, lambda p: event_spec("unused", p)))
        results = interleaved(
            sides,
            clients=args.clients,
            seconds=seconds,
            rounds=rounds,
            warmup=warmup,
        )
    base, ours = results["bare Flask"], results["vocservice"]
    check_statuses(base, {202})
    check_statuses(ours, {202})
    floor = results.get("SQL floor")
    if floor is not None:
        check_statuses(floor, {202})

    with psycopg.connect(plain_url(DATABASE_URL)) as conn:
        events = conn.execute("select count(*) from events").fetchone()[0]
        invitations = conn.execute("select count(*) from invitations where status = 'scheduled'").fetchone()[
            0
        ]
    measured_ok = events == invitations
    notes = []
    if floor is not None:
        notes.append(
            f"SQL floor (bench/floor_app.py: bare Flask + one pipelined upsert/insert statement + "
            f"COMMIT, same run): {floor.throughput:,.0f} req/s = {floor.throughput / base.throughput:.2f}x "
            f"of bare Flask, p99 {floor.p99_ms:.1f} ms; vocservice = "
            f"{ours.throughput / floor.throughput:.2f}x of the floor"
        )

    report(
        "events_api",
        f"POST /api/v1/events: {args.clients} keep-alive clients, {seconds:g} s per side in "
        f"{rounds} alternating rounds, gunicorn {WORKERS} workers x {THREADS} threads",
        load_rows(ours, base, ratio_target=">= 0.25x", p99_target="< 50"),
        notes=[
            "baseline: bench/baseline_app.py (bare Flask: parse JSON, answer 202), same gunicorn "
            f"settings, same client ({client_name()}), same run",
            f"database after the run: {events} events, {invitations} scheduled invitations "
            f"({'one invitation per event' if measured_ok else 'MISMATCH'})",
            *notes,
        ],
        extra={
            "ours": ours.__dict__,
            "baseline": base.__dict__,
            **({"floor": floor.__dict__} if floor is not None else {}),
        },
    )
    return 0 if measured_ok else 1


if __name__ == "__main__":
    sys.exit(main())
