"""Alert evaluation at scale: what one rule of each kind costs the tick over N answers, beside
the raw SQL a naive evaluation would run over the same rows (the two windows' score counts
scanned from ``responses``), measured in the same run.

Loads N answers (default 1,000,000, two years, themes on 40%) with ``bench/metrics_scale.py``'s
generator into a throwaway database, builds the rollups, saves a segment, then times
:func:`surveys.alert.evaluate.evaluate_rule` (median of 7) for a ``score_drop`` rule (previous
window), a ``score_drop`` rule on the segment with a trailing baseline of 4 windows, a
``theme_spike`` rule and a ``no_response`` rule on an account, and the raw-SQL baseline of the
first two.

Run: ``.venv/bin/python bench/alerts_eval.py [--rows 300000] [--quick]`` (``--quick``: 100,000). The database
named by ``BENCH_ALERTS_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/vocservice_bench_alerts``) is DROPPED and re-created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

URL = os.environ.get(
    "BENCH_ALERTS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_alerts"
)
os.environ["BENCH_METRICS_DATABASE_URL"] = URL
sys.path.insert(0, str(Path(__file__).resolve().parent))

import metrics_scale  # noqa: E402
from common import Row, recreate_database, report  # noqa: E402

REPEAT = 7


def _median_ms(func) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _rules(app, ctx: dict) -> dict[str, str]:
    from sqlalchemy import select

    from surveys.alert.service import create_rule
    from surveys.analysis.models import Theme
    from surveys.core.db import db

    with app.app_context():
        theme = db.session.execute(
            select(Theme.id).where(Theme.workspace_id == ctx["workspace_id"]).order_by(Theme.name).limit(1)
        ).scalar_one()
        specs = {
            "score_drop, previous window": {"kind": "score_drop", "survey_id": ctx["survey_id"]},
            "score_drop, segment, trailing 4": {
                "kind": "score_drop",
                "survey_id": ctx["survey_id"],
                "segment_id": ctx["segment_id"],
                "baseline": "trailing",
            },
            "theme_spike, 8 weeks": {"kind": "theme_spike", "survey_id": ctx["survey_id"], "theme_id": theme},
            "no_response, account": {"kind": "no_response", "account": {"attribute": "plan", "value": "pro"}},
        }
        ids = {}
        for label, spec in specs.items():
            rule = create_rule(
                db.session,
                workspace_id=ctx["workspace_id"],
                data={"name": label, "window_days": 7, "enabled": True, "notify": None, **spec},
            )
            ids[label] = rule.id
        db.session.commit()
    return ids


def _raw(app, ctx: dict, segment: bool) -> None:
    """The naive evaluation: both windows' score counts straight from the responses."""
    from sqlalchemy import text

    from surveys.core.db import db

    where = ""
    if segment:
        where = (
            "AND attributes->>'plan' IN ('pro', 'enterprise') AND (attributes->>'arr')::numeric > 20000 "
            "AND attributes->>'region' <> 'apac'"
        )
    with app.app_context():
        db.session.execute(
            text(f"""
            SELECT submitted_at >= current_date - 7 AS now_window, score, count(*)
            FROM responses
            WHERE survey_id = :sv AND completed AND score IS NOT NULL
              AND submitted_at >= current_date - :span AND submitted_at < current_date {where}
            GROUP BY 1, 2
        """),
            {"sv": ctx["survey_id"], "span": 35 if segment else 14},
        ).all()
        db.session.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 answers")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = 100_000
    recreate_database(URL)
    app = metrics_scale._app()
    ctx = metrics_scale._setup(app)
    load = metrics_scale._load(app, ctx, 1, args.rows)
    metrics_scale._segment(app, ctx)
    rebuild = metrics_scale._rebuild(app)
    ids = _rules(app, ctx)

    from surveys.alert.evaluate import evaluate_rule
    from surveys.core.db import db, utcnow

    def evaluate(rule_id):
        def run():
            with app.app_context():
                evaluate_rule(db.session, rule_id=rule_id, now=utcnow() + timedelta(seconds=1))
                db.session.remove()

        return run

    rows = []
    baselines = {
        "score_drop, previous window": _median_ms(lambda: _raw(app, ctx, False)),
        "score_drop, segment, trailing 4": _median_ms(lambda: _raw(app, ctx, True)),
    }
    for label, rule_id in ids.items():
        ours = _median_ms(evaluate(rule_id))
        rows.append(
            Row(
                f"evaluate {label}",
                ours,
                baselines.get(label),
                unit="ms",
                higher_is_better=False,
                target="< 250",
            )
        )
    report(
        "alerts_eval",
        f"Alert rule evaluation over {args.rows:,} answers "
        f"(median of {REPEAT}; baseline: raw SQL scan of the windows)",
        rows,
        notes=[f"load {load:.1f} s, rollup rebuild {rebuild:.1f} s"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
