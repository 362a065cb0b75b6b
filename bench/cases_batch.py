"""Cases opened set-based: ``POST /api/v1/responses/batch`` of 1,000 answers (64% of them
detractor-level, so about 640 cases a batch) with the default case rule on, beside the same
batches with every case rule off, in the same run.

What it measures: the app in this process (the Flask test client, so the figure is the service's
own work, not the load generator's), against a fresh bench database and Redis (no worker runs:
jobs just wait). Batches alternate rule on / rule off, each with fresh sender ids and contacts,
so both sides see the same table sizes and the same machine noise. The figure is the median
batch time and answers/s of each side; the ratio is what opening the cases costs a batch. After
the run it checks that every detractor-level answer of the "on" batches has exactly one case
and the "off" batches none.

Run: ``.venv/bin/python bench/cases_batch.py [--batches 10]``. Results also go to
``bench/results/cases_batch.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATABASE_URL, REDIS_URL, Row, fresh_service, report  # noqa: E402


def _items(survey_id: str, prefix: str) -> list[dict]:
    return [
        {
            "id": f"{prefix}-{n}",
            "survey_id": survey_id,
            "score": n % 11,
            "contact": {
                "external_id": f"{prefix}-c{n // 40}",
                "attributes": {"plan": ("free", "pro")[n % 2]},
            },
            **({"comment": "Billing charged us twice"} if n % 10 == 0 else {}),
        }
        for n in range(1000)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=10, help="batches a side (default 10)")
    args = parser.parse_args()
    workspace = fresh_service()
    os.environ["DATABASE_URL"] = DATABASE_URL.replace("postgresql://", "postgresql+psycopg://")
    os.environ["REDIS_URL"] = REDIS_URL
    from sqlalchemy import func, select, update

    from surveys.case import steps
    from surveys.case.models import Case, CaseRule
    from vocservice import create_app

    spent: list[float] = []  # seconds inside the case step, per call
    opening = steps.open_and_assign

    def timed(*a, **k):
        started = time.perf_counter()
        try:
            return opening(*a, **k)
        finally:
            spent.append(time.perf_counter() - started)

    steps.open_and_assign = timed

    app = create_app()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {workspace.api_key}"}
    survey = client.post(
        "/api/v1/surveys", json={"name": "NPS", "kind": "nps", "question": "Recommend us?"}, headers=headers
    ).json["id"]
    from surveys.core.db import db

    def rules(enabled: bool) -> None:
        with app.app_context():
            db.session.execute(update(CaseRule).values(enabled=enabled))
            db.session.commit()
            db.session.remove()

    times: dict[bool, list[float]] = {True: [], False: []}
    inside: list[float] = []
    for n in range(2 * args.batches + 2):
        on = n % 2 == 0
        rules(on)
        body = {"responses": _items(survey, f"b{n}")}
        started = time.perf_counter()
        reply = client.post("/api/v1/responses/batch", json=body, headers=headers)
        elapsed = time.perf_counter() - started
        assert reply.status_code == 200, reply.json
        if n >= 2:  # the first pair warms caches and connections
            times[on].append(elapsed)
            if on:
                inside.append(sum(spent))
        spent.clear()
    with app.app_context():
        cases = db.session.execute(select(func.count()).select_from(Case)).scalar_one()
        per_answer = db.session.execute(select(func.count(func.distinct(Case.response_id)))).scalar_one()
        db.session.remove()
    expected = (args.batches + 1) * sum(1 for n in range(1000) if n % 11 <= 6)
    on, off = statistics.median(times[True]), statistics.median(times[False])
    report(
        "cases_batch",
        f"POST /api/v1/responses/batch, 1,000 answers, in process: {args.batches} batches with the "
        f"default case rule on, {args.batches} with it off, alternating",
        [
            Row("answers/s, cases opening", 1000 / on, 1000 / off, "/s", True, ">= 0.5x", 0),
            Row("batch median, cases opening", on * 1000, off * 1000, "ms", False, None, 1),
            Row(
                "of which opening the cases",
                statistics.median(inside) * 1000,
                on * 1000,
                "ms",
                False,
                None,
                1,
            ),
        ],
        notes=[
            "baseline: the same batches with every case rule disabled, same process and database",
            "'of which': the median time inside the case step (one INSERT ... SELECT per rule, owners, "
            "events) of an 'on' batch, beside that batch's median; it is what opening cases costs "
            "even when machine noise swamps the difference of the two medians",
            f"cases opened: {cases:,} (expected {expected:,}: one per detractor-level answer of the "
            f"'on' batches), distinct answers {per_answer:,}",
        ],
    )
    if cases != expected or per_answer != cases:
        raise SystemExit("case count check failed")


if __name__ == "__main__":
    main()
