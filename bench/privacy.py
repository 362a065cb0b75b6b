"""Privacy: the export of one person with many answers (memory and speed), and their erasure.

Builds a fresh database (``BENCH_DATABASE_URL``, dropped and re-created), gives one person
10,000 and another 100,000 answers with analyses (set-based SQL, then the rollups rebuilt),
and streams ``GET /api/v1/privacy/export`` for each through the app in this process (the Flask
test client, so the figure is the service's own work), counting bytes without keeping them.
Memory: Python's tracemalloc peak while the export runs; if it grew with the answers the second
would be about ten times the first. Baseline, same run: PostgreSQL's
``COPY (SELECT row_to_json(r) FROM responses r WHERE contact_id = ...) TO STDOUT``.

Erasure: the ``erase_person`` work for the 10,000-answer person (answers deleted through the
session in batches so the flush listeners keep every rollup exact), beside a raw
``DELETE FROM responses WHERE contact_id = ...`` of the same rows (rolled back) that keeps no
rollup in step.

Run: ``.venv/bin/python bench/privacy.py``
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from common import DATABASE_URL, Row, plain_url, recreate_database, report  # noqa: E402

SIZES = (10_000, 100_000)

SEED_SQL = """
INSERT INTO contacts (id, workspace_id, external_id, email, name, attributes, created_at, updated_at)
VALUES (%(contact)s, %(ws)s, %(ext)s, %(email)s, 'Bench Person', '{"plan": "pro", "arr": 5000}',
    now(), now());
INSERT INTO responses (id, workspace_id, survey_id, contact_id, score, comment, completed, source,
    metadata, attributes, event_snapshot, submitted_at, last_activity_at, created_at, updated_at,
    analysis_status, analysis_attempts)
SELECT %(prefix)s || lpad(g::text, 8, '0'), %(ws)s, %(survey)s, %(contact)s, g %% 11,
    'Answer ' || g || ': the reports are slow again and billing is unclear to me.', true, 'api',
    '{}', '{"plan": "pro", "arr": 5000}', '{"name": "order.delivered", "properties": {"order": "o-1"}}',
    now() - (g || ' minutes')::interval, now(), now(), now(), 'done', 0
FROM generate_series(1, %(n)s) g;
INSERT INTO analyses (id, response_id, analyzer_version, taxonomy_version, sentiment_label,
    sentiment_compound, themes, noun_phrases, created_at)
SELECT 'an_' || r.id, r.id, 'bench', 1, 'negative', -0.4,
    '[{"name": "performance", "sentiment": {"label": "negative", "compound": -0.4},
       "evidence": [{"text": "slow", "start": 30, "end": 34}]}]', '["the reports"]', now()
FROM responses r WHERE r.contact_id = %(contact)s;
"""


def _seed(app, workspace_id: str, survey_id: str) -> list[tuple[str, str, int]]:
    from surveys.core.db import db
    from surveys.metrics import rollups

    people = []
    with app.app_context():
        conn = db.session.connection().connection.driver_connection
        for n in SIZES:
            contact = f"ct_bench{n}"
            params = {
                "contact": contact,
                "ws": workspace_id,
                "ext": f"bench-{n}",
                "email": f"person{n}@bench.example",
                "prefix": f"rsp_b{n}_",
                "survey": survey_id,
                "n": n,
            }
            for statement in SEED_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(statement, params)
            people.append((contact, f"bench-{n}", n))
        db.session.commit()
        rollups.rebuild(db.session)
        db.session.commit()
        db.session.remove()
    return people


def _stream(client, headers, external_id: str) -> int:
    reply = client.get("/api/v1/privacy/export", query_string={"external_id": external_id}, headers=headers)
    size = sum(len(chunk) for chunk in reply.response)
    reply.close()
    return size


def _export(client, headers, external_id: str) -> tuple[int, float, int]:
    """Bytes and seconds of one export, then the traced peak of another (tracing slows Python)."""
    started = time.perf_counter()
    size = _stream(client, headers, external_id)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    _stream(client, headers, external_id)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, seconds, peak


def _copy_seconds(contact: str) -> float:
    with psycopg.connect(plain_url(DATABASE_URL)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        query = "COPY (SELECT row_to_json(r) FROM responses r WHERE contact_id = %s ORDER BY id) TO STDOUT"
        with cur.copy(query, (contact,)) as copy:
            for _ in copy:
                pass
        return time.perf_counter() - started


def _raw_delete_seconds(contact: str) -> float:
    with psycopg.connect(plain_url(DATABASE_URL)) as conn:
        started = time.perf_counter()
        conn.execute("DELETE FROM responses WHERE contact_id = %s", (contact,))
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def main() -> None:
    recreate_database()
    os.environ["DATABASE_URL"] = DATABASE_URL.replace("postgresql://", "postgresql+psycopg://")
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from surveys.core.db import db
    from surveys.privacy import erasure
    from surveys.survey.models import Survey
    from surveys.workspace.service import create_api_key, create_workspace
    from vocservice import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        workspace = create_workspace(db.session, name="Bench", slug="bench")
        _, key = create_api_key(db.session, workspace=workspace, role="admin")
        survey = Survey(workspace_id=workspace.id, name="NPS", kind="nps", question="Q?")
        db.session.add(survey)
        db.session.commit()
        workspace_id, survey_id = workspace.id, survey.id
        db.session.remove()
    people = _seed(app, workspace_id, survey_id)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    rows, notes = [], []
    exports = {}
    for contact, external_id, n in people:
        size, seconds, peak = _export(client, headers, external_id)
        exports[n] = (size, seconds, peak)
        copy = _copy_seconds(contact)
        rows.append(Row(f"export answers/s, {n:,}", n / seconds, n / copy, "/s", True, None, 0))
        rows.append(Row(f"export peak traced memory, {n:,}", peak / 2**20, None, "MiB", False, None, 1))
        notes.append(f"{n:,} answers: {size / 2**20:,.1f} MiB of JSON in {seconds:.1f} s")
    small, large = exports[SIZES[0]], exports[SIZES[1]]
    rows.append(
        Row("peak memory, 100,000 vs 10,000", large[2] / 2**20, small[2] / 2**20, "MiB", False, "< 2x", 1)
    )
    contact, _, n = people[0]
    raw = _raw_delete_seconds(contact)
    with app.app_context():
        row = erasure.request_erasure(
            db.session,
            workspace_id=workspace_id,
            kind="external_id",
            value=f"bench-{n}",
            actor_kind="system",
            actor_id=None,
        )
        db.session.commit()
        started = time.perf_counter()
        outcome = erasure.run_erasure(db.session, request_id=row.id)
        seconds = time.perf_counter() - started
        db.session.remove()
    rows.append(
        Row(f"erasure answers/s, {n:,}", outcome.counts["responses"] / seconds, n / raw, "/s", True, None, 0)
    )
    notes += [
        f"erasure of {n:,} answers with their analyses and rollups in {seconds:.1f} s",
        "baselines: COPY (SELECT row_to_json(r) ...) TO STDOUT of the same answers; a raw DELETE of "
        "them (rolled back), which keeps no rollup, analysis or suppression in step",
        "peak traced memory: Python allocations during the whole export (tracemalloc); flat means "
        "the ratio of the last row stays near 1x while the answers grow tenfold",
    ]
    report("privacy", "Privacy: streamed export and erasure of one person", rows, notes=notes)


if __name__ == "__main__":
    main()
