"""What one ``POST /api/v1/events`` costs, in process: Python CPU, statements and round trips.

What it measures: the app built by ``create_app`` against the bench database (a real
PostgreSQL), driven by Flask's test client (no network, no gunicorn), posting N journey events
with unique ids, each for a new contact matching one active ``link`` touchpoint (the same body as
``bench/events_api.py``). For each event it counts the Python CPU of this process
(``time.process_time``), the statements sent to PostgreSQL (every psycopg ``execute``, ``copy``
and commit, whether SQLAlchemy or the hot path's own SQL sent it) and the network round trips
(a pipeline's statements travel in one). The baseline is the same bare Flask view as
``bench/baseline_app.py`` driven by the same test client in the same run.

How to read it: CPU ms per event is the figure that limits throughput on a machine shared with
the load generator and PostgreSQL; statements and round trips per event bound the time spent
waiting. ``--profile`` prints the top of a cProfile of the measured events.

Run: ``.venv/bin/python bench/events_cost.py [--events 2000] [--profile]`` (about 30 s).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from common import DATABASE_URL, REDIS_URL, flush_redis, recreate_database  # noqa: E402


class Counter:
    """Statements and round trips through psycopg, whoever sends them."""

    def __init__(self) -> None:
        self.statements = 0
        self.round_trips = 0
        self._depth = 0

    def install(self) -> None:
        counter = self
        execute, copy, pipeline = psycopg.Cursor.execute, psycopg.Cursor.copy, psycopg.Connection.pipeline
        commit = psycopg.Connection.commit

        def counted_execute(self, *args, **kwargs):
            counter.statements += 1
            if not counter._depth:
                counter.round_trips += 1
            return execute(self, *args, **kwargs)

        def counted_copy(self, *args, **kwargs):
            counter.statements += 1
            counter.round_trips += 1
            return copy(self, *args, **kwargs)

        def counted_commit(self, *args, **kwargs):
            if self.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:  # else sends nothing
                counter.statements += 1
                counter.round_trips += not counter._depth
            return commit(self, *args, **kwargs)

        from contextlib import contextmanager

        @contextmanager
        def counted_pipeline(self, *args, **kwargs):
            counter._depth += 1
            counter.round_trips += 1
            try:
                with pipeline(self, *args, **kwargs) as p:
                    yield p
            finally:
                counter._depth -= 1

        psycopg.Cursor.execute = counted_execute
        psycopg.Cursor.copy = counted_copy
        psycopg.Connection.commit = counted_commit
        psycopg.Connection.pipeline = counted_pipeline


def body(n: int, occurred: str) -> bytes:
    return json.dumps(
        {
            "id": f"e-{n}",
            "name": "order.delivered",
            "occurred_at": occurred,
            "contact": {
                "external_id": f"c-{n}",
                "email": f"c.{n}@example.com",
                "attributes": {"plan": "pro", "arr": 1200},
            },
            "properties": {"order_id": f"o-{n}"},
        },
        separators=(",", ":"),
    ).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="alternate blocks of events between the single-event path and ingest_events' general one",
    )
    args = parser.parse_args(argv)

    recreate_database()
    flush_redis()
    url = DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    from flask_migrate import upgrade

    from vocservice import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "PUBLIC_BASE_URL": "http://voc.bench",
            "SMTP_URL": None,
            "SECRET_KEY": "bench-secret",
        }
    )
    with app.app_context():
        upgrade()
        from surveys.core.db import db
        from surveys.workspace.service import create_api_key, create_workspace

        ws = create_workspace(db.session, name="Bench", slug="bench")
        _, key = create_api_key(db.session, workspace=ws, role="ingest")
        _, admin = create_api_key(db.session, workspace=ws, role="admin")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {admin}"}
    survey = client.post(
        "/api/v1/surveys", json={"name": "Bench NPS", "kind": "nps", "question": "How likely?"}, headers=auth
    ).get_json()
    status = client.post(
        "/api/v1/touchpoints",
        json={
            "name": "After delivery",
            "event": "order.delivered",
            "survey_id": survey["id"],
            "channel": "link",
        },
        headers=auth,
    ).status_code
    assert status == 201, status

    from baseline_app import app as bare

    bare_client = bare.test_client()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    occurred = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    warm = 200
    for n in range(warm):  # caches, prepared statements, first-request imports
        assert client.post("/api/v1/events", data=body(n, occurred), headers=headers).status_code == 202
        bare_client.post("/api/v1/events", data=body(n, occurred), headers=headers)

    counter = Counter()
    counter.install()
    profile = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    if args.compare:
        from surveys.event import service

        fast = service._ingest_one_pg  # noqa: SLF001
        general = {"cpu": 0.0, "wall": 0.0, "statements": 0, "round_trips": 0}
        ours = dict(general)
        for block in range(0, args.events, 100):
            for path, totals in ((general, lambda *a: None), (ours, fast)):
                service._ingest_one_pg = totals  # noqa: SLF001
                before = (time.process_time(), time.perf_counter(), counter.statements, counter.round_trips)
                for n in range(warm + 2 * block, warm + 2 * block + 200, 2):
                    n += path is ours
                    response = client.post("/api/v1/events", data=body(n, occurred), headers=headers)
                    assert response.status_code == 202, response.get_data(as_text=True)
                path["cpu"] += time.process_time() - before[0]
                path["wall"] += time.perf_counter() - before[1]
                path["statements"] += counter.statements - before[2]
                path["round_trips"] += counter.round_trips - before[3]
        service._ingest_one_pg = fast  # noqa: SLF001
        n = args.events
        for label, path in (("general path (ingest_events)", general), ("single-event path", ours)):
            print(
                f"  {label}: {1000 * path['cpu'] / n:.3f} ms CPU/event, {1000 * path['wall'] / n:.3f} ms "
                f"wall/event, {path['statements'] / n:.2f} statements, "
                f"{path['round_trips'] / n:.2f} round trips"
            )
        args.events *= 2
    for n in range(warm, warm + args.events):
        if args.compare:
            break
        response = client.post("/api/v1/events", data=body(n, occurred), headers=headers)
        assert response.status_code == 202, response.get_data(as_text=True)
    if profile:
        profile.disable()
    ours_cpu, ours_wall = time.process_time() - cpu, time.perf_counter() - wall
    statements, round_trips = counter.statements, counter.round_trips

    cpu = time.process_time()
    for n in range(warm, warm + args.events):
        bare_client.post("/api/v1/events", data=body(n, occurred), headers=headers)
    bare_cpu = time.process_time() - cpu

    with psycopg.connect(DATABASE_URL) as conn:
        events = conn.execute("select count(*) from events").fetchone()[0]
        invitations = conn.execute("select count(*) from invitations where status = 'scheduled'").fetchone()[
            0
        ]
    n = args.events
    print(f"{n} events through the Flask test client (PostgreSQL {DATABASE_URL.rsplit('/', 1)[-1]})")
    print(f"  ours: {1000 * ours_cpu / n:.3f} ms Python CPU/event, {1000 * ours_wall / n:.3f} ms wall/event")
    print(f"        {statements / n:.2f} statements/event, {round_trips / n:.2f} round trips/event")
    print(f"  bare Flask: {1000 * bare_cpu / n:.3f} ms Python CPU/event")
    print(f"  database: {events} events, {invitations} scheduled invitations")
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        by_package: dict[str, float] = {}
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
            where = (
                filename.split("site-packages/")[-1].split("/")[0]
                if "site-packages" in filename
                else filename
            )
            if "wt-" in where or "/work/" in where:
                where = "/".join(Path(where).parts[-2:])
            by_package[where] = by_package.get(where, 0.0) + tottime
        total = sum(by_package.values())
        for where, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:25]:
            print(f"{100 * seconds / total:5.1f}% {where}")
    return 0 if events == invitations == warm + n + 0 else 1


if __name__ == "__main__":
    sys.exit(main())
