"""Metrics and theme insights at scale: p50/p95 of the API over millions of responses, beside the
raw SQL aggregate over the same rows, measured in the same run.

Loads N1 responses (default 1,000,000; about 40% carry one or two theme rows) into a throwaway
PostgreSQL database ``vocservice_bench_metrics`` with ``INSERT ... SELECT generate_series``,
builds the rollups (``surveys.metrics.rollups.rebuild`` and ``theme_rollups.rebuild_themes``, what
``vocservice rollups rebuild`` runs), then times through Flask's test client (in process, so no
HTTP server or network in the figure):

- ``GET /api/v1/metrics?survey_id=`` overall, ``&group_by=month``, ``&group_by=attributes.plan``
- ``GET /api/v1/insights/themes?survey_id=``
- ``&group_by=attributes.industry`` (an attribute outside the built-in rollups) read from raw
  rows, then again after ``vocservice rollups add-attribute`` (:func:`surveys.metrics.dims.add_attribute`)
- ``&segment_id=`` a saved segment of three conditions on three attributes (``in``, ``gt``,
  ``ne``), with ``&group_by=month``: its own rollups (built when it was saved)

and the plain SQL GROUP BY over the raw rows that answers the same question (score counts
overall, per month, per plan, per theme). It then grows the table to N2 (default 10,000,000) and
measures again, so the table shows how flat each curve is.

Run: ``.venv/bin/python bench/metrics_scale.py [--quick] [--sizes 1000000,3000000]``
(``--quick``: 100k and 300k rows, fewer repetitions). The database named by
``BENCH_METRICS_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/vocservice_bench_metrics``)
is DROPPED and re-created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, recreate_database, report  # noqa: E402

URL = os.environ.get(
    "BENCH_METRICS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_metrics"
)
DAYS = 730  # two years of answers


def _app():
    os.environ["DATABASE_URL"] = URL.replace("postgresql://", "postgresql+psycopg://")
    os.environ.pop("REDIS_URL", None)  # jobs (none are made here) would run in process
    from vocservice import create_app

    return create_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}})


def _setup(app) -> dict:
    from flask_migrate import upgrade

    from surveys.core.db import db
    from surveys.survey.models import Survey, Touchpoint
    from surveys.workspace.service import create_api_key, create_workspace

    with app.app_context():
        upgrade()
        ws = create_workspace(db.session, name="Bench metrics", slug="bench-metrics")
        _, key = create_api_key(db.session, workspace=ws, role="analyst")
        survey = Survey(workspace_id=ws.id, name="Relationship NPS", kind="nps", question="?")
        db.session.add(survey)
        db.session.flush()
        touchpoints = [
            Touchpoint(workspace_id=ws.id, survey_id=survey.id, name=f"tp{i}", event=f"e{i}", channel="link")
            for i in range(3)
        ]
        db.session.add_all(touchpoints)
        db.session.commit()
        return {
            "workspace_id": ws.id,
            "survey_id": survey.id,
            "key": key,
            "touchpoints": [t.id for t in touchpoints],
        }


def _load(app, ctx: dict, first: int, last: int) -> float:
    """Responses first..last (inclusive) and their theme rows, generated inside PostgreSQL."""
    from sqlalchemy import text

    from surveys.core.db import db

    tp = ctx["touchpoints"]
    started = time.perf_counter()
    with app.app_context():
        db.session.execute(text("SELECT setseed(0.42)"))
        db.session.execute(
            text("""
            INSERT INTO responses (id, workspace_id, survey_id, touchpoint_id, score, comment,
                completed, source, metadata, attributes, submitted_at, created_at, updated_at,
                analysis_status, analysis_attempts)
            SELECT 'rsp_b' || to_char(g, 'FM000000000000'), :ws, :sv,
                   (ARRAY[:tp0, :tp1, :tp2, NULL])[1 + g % 4],
                   (ARRAY[0,1,2,3,4,5,6,7,7,8,8,8,9,9,9,10,10])[1 + floor(random() * 17)::int],
                   CASE WHEN g % 5 < 3 THEN 'comment ' || g END,
                   true, 'import', '{}'::jsonb,
                   jsonb_build_object('plan', (ARRAY['starter','pro','enterprise'])[1 + g % 3],
                                      'region', (ARRAY['na','emea','apac'])[1 + (g / 3) % 3],
                                      'arr', (g % 997) * 100,
                                      'industry', 'industry-' || (g / 7) % 12),
                   now() - make_interval(days => (g % :days)::int, mins => (g % 1440)::int),
                   now(), now(), 'done', 0
            FROM generate_series(:first, :last) AS g
        """),
            {
                "ws": ctx["workspace_id"],
                "sv": ctx["survey_id"],
                "tp0": tp[0],
                "tp1": tp[1],
                "tp2": tp[2],
                "days": DAYS,
                "first": first,
                "last": last,
            },
        )
        # Themes on commented answers: one theme on 40% of all answers, a second on 13%; their
        # mentions' intents cycle through the five.
        db.session.execute(
            text("""
            INSERT INTO response_themes (response_id, theme_id, workspace_id, sentiment_label,
                                         sentiment_compound, intent)
            SELECT 'rsp_b' || to_char(g, 'FM000000000000'), t.ids[1 + (g * 7 + k) % n], :ws,
                   (ARRAY['positive','neutral','negative'])[1 + (g + k) % 3],
                   ((g + k) % 3 - 1) * -0.5,
                   (ARRAY['request','complaint','praise','question','other'])[1 + (g * 3 + k) % 5]
            FROM generate_series(:first, :last) AS g,
                 (SELECT array_agg(id ORDER BY name) AS ids, count(*) AS n FROM themes
                  WHERE workspace_id = :ws) AS t,
                 generate_series(0, 1) AS k
            WHERE g % 5 < 2 AND (k = 0 OR g % 3 = 0)
        """),
            {"ws": ctx["workspace_id"], "first": first, "last": last},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE responses"))
        db.session.execute(text("ANALYZE response_themes"))
        db.session.commit()
    return time.perf_counter() - started


COMPLEX_SEGMENT = [
    {"field": "attributes.plan", "op": "in", "value": ["pro", "enterprise"]},
    {"field": "attributes.arr", "op": "gt", "value": 20000},
    {"field": "attributes.region", "op": "ne", "value": "apac"},
]


def _segment(app, ctx: dict) -> None:
    """The complex saved segment (its rollups are built as it is saved, and by every rebuild)."""
    from surveys.core.db import db
    from surveys.segment.service import create_segment
    from surveys.workspace.models import Workspace

    with app.app_context():
        workspace = db.session.get(Workspace, ctx["workspace_id"])
        segment = create_segment(
            db.session, workspace=workspace, data={"name": "Bench complex", "conditions": COMPLEX_SEGMENT}
        )
        db.session.commit()
        ctx["segment_id"] = segment.id


def _add_attribute(app, ctx: dict) -> float:
    from surveys.core.db import db
    from surveys.metrics import dims

    started = time.perf_counter()
    with app.app_context():
        dims.add_attribute(db.session, workspace_id=ctx["workspace_id"], name="industry")
        db.session.commit()
    return time.perf_counter() - started


def _drop_attribute(app, ctx: dict) -> None:
    from sqlalchemy import delete

    from surveys.core.db import db
    from surveys.metrics.models import DailyRollup, RollupDim

    with app.app_context():
        for model in (RollupDim, DailyRollup):
            db.session.execute(
                delete(model).where(
                    model.workspace_id == ctx["workspace_id"], model.dim == "attributes.industry"
                )
            )
        db.session.commit()


def _rebuild(app) -> float:
    from surveys.case import rescue
    from surveys.core.db import db
    from surveys.metrics import rollups, theme_rollups

    started = time.perf_counter()
    with app.app_context():
        rollups.rebuild(db.session)
        theme_rollups.rebuild_themes(db.session)
        rescue.rebuild(db.session)
        db.session.commit()
    return time.perf_counter() - started


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time_api(app, ctx: dict, path: str, repeats: int) -> tuple[float, float, str]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {ctx['key']}"}
    samples, source = [], ""
    for i in range(repeats + 2):
        started = time.perf_counter()
        reply = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status_code != 200:
            raise SystemExit(f"{path} -> {reply.status_code}: {reply.get_data(as_text=True)[:500]}")
        source = reply.json.get("source", "")
        if i >= 2:  # two warm-up calls
            samples.append(elapsed)
    return (*_percentiles(samples), source)


RAW_SQL = {
    "overall": "SELECT score, count(*) FROM responses WHERE survey_id = :sv AND completed "
    "AND score IS NOT NULL GROUP BY score",
    "month": "SELECT date_trunc('month', submitted_at AT TIME ZONE 'UTC'), score, count(*) "
    "FROM responses WHERE survey_id = :sv AND completed AND score IS NOT NULL "
    "GROUP BY 1, 2",
    "plan": "SELECT attributes->>'plan', score, count(*) FROM responses WHERE survey_id = :sv "
    "AND completed AND score IS NOT NULL GROUP BY 1, 2",
    "themes": "SELECT rt.theme_id, rt.sentiment_label, r.score, count(*), "
    "sum(rt.sentiment_compound) FROM response_themes rt JOIN responses r "
    "ON r.id = rt.response_id WHERE r.survey_id = :sv AND r.completed "
    "AND r.score IS NOT NULL GROUP BY 1, 2, 3",
    "industry": "SELECT attributes->>'industry', score, count(*) FROM responses WHERE survey_id = :sv "
    "AND completed AND score IS NOT NULL GROUP BY 1, 2",
    # The segment's conditions written by hand (typed as the segment's SQL types them).
    "segment": "SELECT date_trunc('month', submitted_at AT TIME ZONE 'UTC'), score, count(*) "
    "FROM responses WHERE survey_id = :sv AND completed AND score IS NOT NULL "
    "AND attributes->>'plan' IN ('pro', 'enterprise') AND jsonb_typeof(attributes->'arr') = 'number' "
    "AND (attributes->>'arr')::numeric > 20000 AND attributes->>'region' IS DISTINCT FROM 'apac' "
    "GROUP BY 1, 2",
}
RAW_SQL["industry_raw"] = RAW_SQL["industry"]


def _time_sql(app, ctx: dict, name: str, repeats: int) -> tuple[float, float]:
    from sqlalchemy import text

    from surveys.core.db import db

    samples = []
    with app.app_context():
        for i in range(repeats + 1):
            started = time.perf_counter()
            db.session.execute(text(RAW_SQL[name]), {"sv": ctx["survey_id"]}).all()
            if i >= 1:
                samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return _percentiles(samples)


def measure(app, ctx: dict, *, api_repeats: int, sql_repeats: int) -> dict:
    sv = ctx["survey_id"]
    questions = {
        "overall": f"/api/v1/metrics?survey_id={sv}",
        "month": f"/api/v1/metrics?survey_id={sv}&group_by=month",
        "plan": f"/api/v1/metrics?survey_id={sv}&group_by=attributes.plan",
        "themes": f"/api/v1/insights/themes?survey_id={sv}",
        "segment": f"/api/v1/metrics?survey_id={sv}&segment_id={ctx['segment_id']}&group_by=month",
        "industry_raw": f"/api/v1/metrics?survey_id={sv}&group_by=attributes.industry",
        "industry": f"/api/v1/metrics?survey_id={sv}&group_by=attributes.industry",
    }
    results = {}
    for name, path in questions.items():
        if name == "industry_raw":
            _drop_attribute(app, ctx)
        if name == "industry":  # the same question once the attribute's rollups are kept
            ctx["add_attribute_s"] = _add_attribute(app, ctx)
        p50, p95, source = _time_api(app, ctx, path, api_repeats)
        raw50, raw95 = _time_sql(app, ctx, name, sql_repeats)
        results[name] = {"p50": p50, "p95": p95, "raw_p50": raw50, "raw_p95": raw95, "source": source}
        print(
            f"    {name:8s} api p50 {p50:7.1f} ms p95 {p95:7.1f} ms ({source}); "
            f"raw SQL p50 {raw50:8.1f} ms p95 {raw95:8.1f} ms",
            flush=True,
        )
    return results


# Issue 12: grouping by any attribute or saved segment under 500 ms at 1M answers.
TARGETS = {"segment": "< 500", "industry_raw": "< 500", "industry": "< 500"}
LABELS = {
    "overall": "GET /metrics (overall)",
    "month": "GET /metrics group_by=month",
    "plan": "GET /metrics group_by=attributes.plan",
    "themes": "GET /insights/themes",
    "segment": "GET /metrics segment_id=(3 conditions) group_by=month",
    "industry_raw": "GET /metrics group_by=attributes.industry (not added: raw rows)",
    "industry": "GET /metrics group_by=attributes.industry (added)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="100k and 300k rows, fewer runs")
    parser.add_argument("--sizes", default=None, help="two row counts, e.g. 1000000,10000000")
    args = parser.parse_args(argv)
    sizes = [
        int(s) for s in (args.sizes or ("100000,300000" if args.quick else "1000000,10000000")).split(",")
    ]
    api_repeats, sql_repeats = (15, 3) if args.quick else (40, 5)

    recreate_database(URL)
    app = _app()
    ctx = _setup(app)
    _segment(app, ctx)
    loaded, runs, notes = 0, {}, []
    for size in sizes:
        load_s = _load(app, ctx, loaded + 1, size)
        loaded = size
        rebuild_s = _rebuild(app)
        print(
            f"  {size:,} responses: loaded in {load_s:.1f} s, rollups rebuilt in {rebuild_s:.1f} s",
            flush=True,
        )
        notes.append(
            f"{size:,} rows: load {load_s:.1f} s (INSERT ... SELECT generate_series, "
            f"with the schema's indexes), rollups rebuild {rebuild_s:.1f} s"
        )
        runs[size] = measure(app, ctx, api_repeats=api_repeats, sql_repeats=sql_repeats)
        notes.append(
            f"{size:,} rows: `add-attribute industry` built its rollups in {ctx['add_attribute_s']:.1f} s"
        )

    rows = []
    for size in sizes:
        for name, label in LABELS.items():
            figures = runs[size][name]
            rows.append(
                Row(
                    f"{label} @ {size:,} p50",
                    figures["p50"],
                    figures["raw_p50"],
                    "ms",
                    higher_is_better=False,
                    target=TARGETS.get(name, "< 150"),
                )
            )
            rows.append(
                Row(
                    f"{label} @ {size:,} p95",
                    figures["p95"],
                    figures["raw_p95"],
                    "ms",
                    higher_is_better=False,
                    target=TARGETS.get(name, "< 150"),
                )
            )
    small, large = sizes
    for name, label in LABELS.items():
        rows.append(
            Row(
                f"{label}: p50 at {large:,} / at {small:,}",
                runs[large][name]["p50"],
                runs[small][name]["p50"],
                "ms",
                higher_is_better=False,
                target="<= 1.5x",
            )
        )
    notes += [
        "ours = the API through Flask's test client (auth, validation, JSON) reading rollups; "
        "baseline = the plain SQL GROUP BY over the raw rows giving the same counts; "
        "ratio = ours / baseline (lower is better)",
        "industry: an attribute outside the built-in rollups (12 values); 'not added' is the raw-row "
        "path any attribute takes, 'added' the same question after `vocservice rollups add-attribute`",
        "segment: a saved segment of three conditions on three attributes, read from its own "
        "rollups; baseline = the same conditions by hand in SQL",
        "the last rows compare our p50 at the larger size with our p50 at the smaller one "
        "(flat curve: ratio near 1x)",
        f"PostgreSQL on this machine ({os.cpu_count()} cores, shared), default settings",
    ]
    report(
        "metrics_scale",
        "Metrics and theme insights over millions of responses",
        rows,
        notes=notes,
        extra={"runs": {str(k): v for k, v in runs.items()}},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
