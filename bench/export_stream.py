"""``GET /api/v1/exports/responses``: NDJSON of every answer, memory and speed at scale.

Reads the database ``bench/metrics_scale.py`` leaves behind (its answers, loaded by
``generate_series``; run that first, or pass ``--database``), streams the export through the
app in this process (the Flask test client, so the figure is the service's own work) and
counts lines and bytes. It streams the first 100,000 answers, then all of them, and reports the
process's peak RSS after each: if memory grew with the rows, the second would be far larger.
Baseline, same run: PostgreSQL's ``COPY (SELECT row_to_json(...)) TO STDOUT`` of the same
answers, which serialises rows without any of our code.

Run: ``.venv/bin/python bench/export_stream.py`` (after ``bench/metrics_scale.py``).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from common import Row, report  # noqa: E402

DEFAULT = os.environ.get(
    "BENCH_METRICS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_metrics"
)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=DEFAULT)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database.replace("postgresql://", "postgresql+psycopg://")
    os.environ.pop("REDIS_URL", None)
    from surveys.core.db import db
    from surveys.workspace.models import Workspace
    from surveys.workspace.service import create_api_key
    from vocservice import create_app

    app = create_app({"VOC_EXPORT_LAG_SECONDS": 0})
    with app.app_context():
        workspace = db.session.query(Workspace).first()
        if workspace is None:
            raise SystemExit("no workspace: run bench/metrics_scale.py first")
        _, key = create_api_key(db.session, workspace=workspace, role="analyst")
        db.session.commit()
        workspace_id = workspace.id
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    runs = []
    for limit in (100_000, None):
        started = time.perf_counter()
        reply = client.get(
            "/api/v1/exports/responses", query_string={"limit": limit} if limit else {}, headers=headers
        )
        lines = size = 0
        for chunk in reply.response:
            size += len(chunk)
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        reply.close()
        runs.append((lines, size, time.perf_counter() - started, _rss_mib()))
    total = runs[-1][0]
    with psycopg.connect(args.database) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        copied = 0
        query = (
            "COPY (SELECT row_to_json(r) FROM responses r WHERE workspace_id = %s "
            "ORDER BY updated_at, id) TO STDOUT"
        )
        with cur.copy(query, (workspace_id,)) as copy:
            for data in copy:
                copied += bytes(data).count(b"\n")
        copy_seconds = time.perf_counter() - started
    report(
        "export_stream",
        f"NDJSON warehouse export of {total:,} answers, in process",
        [
            Row("answers/s, all", total / runs[-1][2], copied / copy_seconds, "/s", True, None, 0),
            Row("peak RSS after 100,000", runs[0][3], None, "MiB", False, None, 0),
            Row("peak RSS after all", runs[-1][3], runs[0][3], "MiB", False, None, 0),
            Row("bytes a line", runs[-1][1] / max(total, 1), None, "B", False, None, 0),
        ],
        notes=[
            f"100,000 answers in {runs[0][2]:.1f} s; all {total:,} in {runs[-1][2]:.1f} s",
            "baseline answers/s: COPY (SELECT row_to_json(...)) TO STDOUT of the same rows",
            "peak RSS: the whole process (the app, the model-free analysis serialisers); the second "
            "row's baseline is the first: a ratio near 1x means memory does not grow with the rows",
        ],
    )


if __name__ == "__main__":
    main()
