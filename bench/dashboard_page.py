"""Dashboard page server time: ``GET /app`` (the product managers' web app) over N responses,
beside the plain SQL aggregates that answer the same questions, measured in the same run.

Reuses the loader of ``bench/metrics_scale.py`` (responses and theme rows generated inside
PostgreSQL, rollups rebuilt) in its own throwaway database ``vocservice_bench_dashboard``
(``BENCH_DASHBOARD_DATABASE_URL``; DROPPED and re-created), adds what the page also shows (a
saved segment per plan, two roadmap items linked to the feedback of a theme, 100,000 customers
the answers belong to, so customers, revenue and the rescue rate count) and a user, rebuilds the
roadmap rollups and the rescue facts (what ``vocservice rollups rebuild`` runs after a load that
bypassed the ORM), logs in through the real form, then times the page through Flask's test
client (in process: no HTTP server or network in the figure). The page's own ``Server-Timing``
header splits data reads from template rendering.

Also timed: ``GET /api/v1/roadmap-items?sort=impact`` (the per-item rollup totals) and the
dashboard's roadmap figures (one survey, 90 days: the link facts), each beside the exact
computation over the raw links and answers (``surveys.roadmap.impact.compute_impact``, what both
did before the rollups) in the same run.

Baseline: the raw SQL GROUP BYs over the raw rows that give the page's figures (score counts
overall, per week, per plan, per segment, per theme), run one after the other.

Run: ``.venv/bin/python bench/dashboard_page.py [--size 1000000]`` (default 1,000,000).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault(
    "BENCH_METRICS_DATABASE_URL",
    os.environ.get(
        "BENCH_DASHBOARD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_dashboard"
    ),
)

import metrics_scale  # noqa: E402
from common import Row, recreate_database, report  # noqa: E402

PASSWORD = "bench password 1"  # noqa: S105 - a throwaway database's login
RAW_SQL = [
    metrics_scale.RAW_SQL["overall"],
    "SELECT date_trunc('week', submitted_at AT TIME ZONE 'UTC'), score, count(*) FROM responses "
    "WHERE survey_id = :sv AND completed AND score IS NOT NULL AND submitted_at >= :start "
    "GROUP BY 1, 2",
    metrics_scale.RAW_SQL["plan"],
    "SELECT attributes->>'plan' = 'enterprise', score, count(*) FROM responses "
    "WHERE survey_id = :sv AND completed AND score IS NOT NULL GROUP BY 1, 2",
    metrics_scale.RAW_SQL["themes"],
]


def _extras(app, ctx: dict) -> None:
    from sqlalchemy import select, text

    from surveys.analysis.models import Theme
    from surveys.case import rescue
    from surveys.core.db import db
    from surveys.roadmap import rollups as roadmap_rollups
    from surveys.roadmap.service import create_item
    from surveys.segment.service import create_segment
    from surveys.workspace.models import Workspace
    from surveys.workspace.service import create_user

    with app.app_context():
        workspace = db.session.get(Workspace, ctx["workspace_id"])
        for plan in ("starter", "pro", "enterprise"):
            create_segment(
                db.session,
                workspace=workspace,
                data={
                    "name": plan.title(),
                    "conditions": [{"field": "attributes.plan", "op": "eq", "value": plan}],
                },
            )
        themes = (
            db.session.execute(
                select(Theme.id).where(Theme.workspace_id == workspace.id).order_by(Theme.name).limit(2)
            )
            .scalars()
            .all()
        )
        for number, theme_id in enumerate(themes):
            item = create_item(
                db.session,
                workspace=workspace,
                data={"title": f"Item {number}", "status": "planned", "theme_ids": [theme_id]},
            )
            db.session.flush()
            # The links re-mapping would make, written in one statement.
            db.session.execute(
                text(
                    "INSERT INTO roadmap_links (item_id, response_id, source, created_at) "
                    "SELECT :item, response_id, 'auto', now() FROM response_themes "
                    "WHERE theme_id = :theme"
                ),
                {"item": item.id, "theme": theme_id},
            )
            item.remap_requested_at = None
        # Customers: 100,000, each answering about ten times over the two years.
        db.session.execute(
            text(
                "INSERT INTO contacts (id, workspace_id, external_id, attributes, created_at, updated_at) "
                "SELECT 'ct_b' || g, :ws, 'cust-' || g, '{}'::jsonb, now(), now() "
                "FROM generate_series(0, 99999) AS g"
            ),
            {"ws": workspace.id},
        )
        db.session.execute(
            text(
                "UPDATE responses SET contact_id = 'ct_b' || (substr(id, 6)::bigint * 7919 % 100000) "
                "WHERE workspace_id = :ws"
            ),
            {"ws": workspace.id},
        )
        create_user(db.session, workspace=workspace, email="pm@bench.test", role="admin", password=PASSWORD)
        db.session.commit()
        db.session.execute(text("ANALYZE responses"))
        db.session.commit()
    # The items' re-mapping jobs run on the in-process job thread: let them finish first, so
    # nothing runs beside the timings (and the rebuild below starts from their links).
    from vocservice import queue

    if queue._executor is not None:
        queue._executor.submit(lambda: None).result()
    with app.app_context():
        started = time.perf_counter()
        roadmap_rollups.rebuild(db.session, workspace_id=ctx["workspace_id"])
        db.session.commit()
        ctx["roadmap_rebuild_s"] = time.perf_counter() - started
        # The answers got their customers by SQL above: the rescue facts follow them.
        rescue.rebuild(db.session, workspace_id=ctx["workspace_id"])
        db.session.commit()
    _vacuum()


def _vacuum() -> None:
    """What autovacuum does soon after a bulk write: statistics, and the visibility map the
    roadmap window's index-only scan needs (the rebuild sets the facts' ``latest`` flags by UPDATE)."""
    import psycopg

    with psycopg.connect(metrics_scale.URL, autocommit=True) as conn:
        for table in ("roadmap_link_facts", "daily_rollups", "theme_rollups", "rescue_facts"):
            conn.execute(f"VACUUM ANALYZE {table}")


def _reopen(app, ctx: dict, size: int) -> float:
    """``--reuse``: the context of an earlier load of ``size`` rows, migrated to this code, with
    every rollup rebuilt (what ``vocservice rollups rebuild`` does) and a fresh API key."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from surveys.core.db import db
    from surveys.response.models import Response
    from surveys.roadmap import rollups as roadmap_rollups
    from surveys.survey.models import Survey
    from surveys.workspace.models import Workspace
    from surveys.workspace.service import create_api_key

    with app.app_context():
        upgrade()
        workspace = db.session.execute(
            select(Workspace).where(Workspace.slug == "bench-metrics")
        ).scalar_one()
        loaded = db.session.execute(select(func.count()).select_from(Response)).scalar_one()
        if loaded != size:
            raise SystemExit(f"--reuse: the database holds {loaded:,} answers, not {size:,}")
        survey = db.session.execute(select(Survey).where(Survey.workspace_id == workspace.id)).scalar_one()
        _, key = create_api_key(db.session, workspace=workspace, role="analyst")
        db.session.commit()
        ctx.update(workspace_id=workspace.id, survey_id=survey.id, key=key)
    started = metrics_scale._rebuild(app)
    with app.app_context():
        began = time.perf_counter()
        roadmap_rollups.rebuild(db.session, workspace_id=ctx["workspace_id"])
        db.session.commit()
        ctx["roadmap_rebuild_s"] = time.perf_counter() - began
    _vacuum()
    return started


def _login(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/app/login").text).group(1)
    reply = client.post(
        "/app/login", data={"email": "pm@bench.test", "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 302, reply.status_code
    return client


def _time_page(client, repeats: int) -> tuple[list[float], list[float]]:
    totals, data = [], []
    for i in range(repeats + 2):
        started = time.perf_counter()
        reply = client.get("/app")
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status_code != 200:
            raise SystemExit(f"/app -> {reply.status_code}: {reply.get_data(as_text=True)[:500]}")
        if i >= 2:  # two warm-up calls (the first builds the workspace's analyser)
            totals.append(elapsed)
            data.append(float(re.search(r"data;dur=([\d.]+)", reply.headers["Server-Timing"])[1]))
    return totals, data


def _time_sql(app, ctx: dict, repeats: int) -> list[float]:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from surveys.core.db import db

    start = datetime.now(UTC) - timedelta(days=90)
    samples = []
    with app.app_context():
        for i in range(repeats + 1):
            started = time.perf_counter()
            for sql in RAW_SQL:
                db.session.execute(text(sql), {"sv": ctx["survey_id"], "start": start}).all()
            if i >= 1:
                samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return samples


INTENT_RAW_SQL = (
    "SELECT rt.theme_id, rt.intent, count(*) FROM response_themes rt JOIN responses r "
    "ON r.id = rt.response_id WHERE r.survey_id = :sv AND r.completed AND r.score IS NOT NULL "
    "AND r.submitted_at >= :start AND rt.intent IN ('request', 'complaint') GROUP BY 1, 2"
)


def _time_intent_panels(app, ctx: dict, repeats: int) -> tuple[list[float], list[float]]:
    """The dashboard's two intent panels ("What customers ask for", "What they complain about"):
    theme insights (rollups) and one quoted example per listed theme, beside the raw GROUP BY of
    mentions per theme and intent that gives the same counts."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from surveys.core.db import db
    from vocservice.webapp import sources

    today = datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=89), datetime.min.time(), UTC)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
    ws, sv = ctx["workspace_id"], ctx["survey_id"]
    ours, raw = [], []
    with app.app_context():
        for i in range(repeats + 1):
            started = time.perf_counter()
            every = sources.themes(ws, sv, start, end, limit=None)
            panels = [sources.by_intent(ws, sv, start, end, every, k) for k in ("request", "complaint")]
            middle = time.perf_counter()
            db.session.execute(text(INTENT_RAW_SQL), {"sv": sv, "start": start}).all()
            if i >= 1:
                ours.append((middle - started) * 1000)
                raw.append((time.perf_counter() - middle) * 1000)
            db.session.rollback()
        if not all(panels):
            raise SystemExit("the bench data has no request or complaint mentions")
    return ours, raw


def _time_roadmap(app, ctx: dict, repeats: int) -> dict[str, list[float]]:
    """The API's ``?sort=impact`` and the dashboard's roadmap figures, each beside
    ``compute_impact`` over the raw rows (the same question, asked the way it was before)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from surveys.core.db import db
    from surveys.roadmap.impact import ImpactFilters, compute_impact, impact
    from surveys.roadmap.models import RoadmapItem
    from surveys.workspace.models import Workspace

    client = app.test_client()
    headers = {"Authorization": f"Bearer {ctx['key']}"}
    today = datetime.now(UTC).date()
    window = ImpactFilters(
        survey_id=ctx["survey_id"],
        start=datetime.combine(today - timedelta(days=89), datetime.min.time(), UTC),
        end=datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC),
    )
    samples: dict[str, list[float]] = {k: [] for k in ("api", "api_raw", "window", "window_raw")}
    with app.app_context():
        workspace = db.session.get(Workspace, ctx["workspace_id"])
        ids = list(db.session.execute(select(RoadmapItem.id)).scalars())
        checks = (
            impact(db.session, workspace=workspace, item_ids=ids, filters=window),
            compute_impact(db.session, workspace=workspace, item_ids=ids, filters=window),
        )
        if checks[0] != checks[1]:
            raise SystemExit(f"rollup and raw figures differ: {checks}")
        for i in range(repeats + 1):
            for name, call in (
                ("api", lambda: client.get("/api/v1/roadmap-items?sort=impact", headers=headers)),
                ("api_raw", lambda: compute_impact(db.session, workspace=workspace, item_ids=ids)),
                ("window", lambda: impact(db.session, workspace=workspace, item_ids=ids, filters=window)),
                (
                    "window_raw",
                    lambda: compute_impact(db.session, workspace=workspace, item_ids=ids, filters=window),
                ),
            ):
                started = time.perf_counter()
                reply = call()
                if name == "api" and reply.status_code != 200:
                    raise SystemExit(f"sort=impact -> {reply.status_code}")
                if i >= 1:
                    samples[name].append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the database an earlier run loaded with the same --size (migrate and rebuild "
        "the rollups only): for iterating, not for the figures",
    )
    args = parser.parse_args(argv)
    if args.reuse:
        app, ctx = metrics_scale._app(), {}
        load_s = 0.0
        rebuild_s = _reopen(app, ctx, args.size)
    else:
        recreate_database(metrics_scale.URL)
        app = metrics_scale._app()
        ctx = metrics_scale._setup(app)
        load_s = metrics_scale._load(app, ctx, 1, args.size)
        rebuild_s = metrics_scale._rebuild(app)
        _extras(app, ctx)
    print(f"  {args.size:,} responses: loaded in {load_s:.1f} s, rollups in {rebuild_s:.1f} s", flush=True)
    totals, data = _time_page(_login(app), args.repeats)
    raw = _time_sql(app, ctx, max(3, args.repeats // 5))
    roadmap = {k: metrics_scale._percentiles(v)[0] for k, v in _time_roadmap(app, ctx, 5).items()}
    intents, intents_raw = (metrics_scale._percentiles(v)[0] for v in _time_intent_panels(app, ctx, 5))
    p50, p95 = metrics_scale._percentiles(totals)
    d50, d95 = metrics_scale._percentiles(data)
    r50, r95 = metrics_scale._percentiles(raw)
    size = f"{args.size:,}"
    rows = [
        Row(
            f"GET /app @ {size} p50",
            p50,
            r50,
            "ms",
            higher_is_better=False,
            target="< 150" if args.size <= 1_000_000 else "< 300",
        ),
        Row(f"GET /app @ {size} p95", p95, r95, "ms", higher_is_better=False),
        Row(f"GET /app data reads @ {size} p50", d50, r50, "ms", higher_is_better=False),
        Row(
            f"GET /api/v1/roadmap-items?sort=impact @ {size} p50",
            roadmap["api"],
            roadmap["api_raw"],
            "ms",
            higher_is_better=False,
        ),
        Row(
            f"intent panels (themes + examples), 90 days @ {size} p50",
            intents,
            intents_raw,
            "ms",
            higher_is_better=False,
        ),
        Row(
            f"roadmap impact, one survey, 90 days @ {size} p50",
            roadmap["window"],
            roadmap["window_raw"],
            "ms",
            higher_is_better=False,
        ),
    ]
    report(
        "dashboard_page",
        "Dashboard page server time",
        rows,
        notes=[
            "ours = GET /app through Flask's test client, logged in (session, CSRF, template); "
            "data reads = the page's Server-Timing 'data' part (metrics, segments, themes, "
            "intent panels, emerging, roadmap impact); baseline = the raw SQL GROUP BYs over the "
            "raw rows that give the same figures, run one after the other",
            "intent panels: ours = theme insights (rollups) + one quoted example per listed "
            "theme, for requests and complaints; baseline = the raw GROUP BY of mentions per "
            "theme and intent",
            "roadmap rows: baseline = surveys.roadmap.impact.compute_impact over the raw links "
            "and answers (what the page and the API did before the roadmap rollups)",
            f"{size} rows: load {load_s:.1f} s, rollups rebuild {rebuild_s:.1f} s, "
            f"roadmap rollups rebuild {ctx['roadmap_rebuild_s']:.1f} s",
            f"PostgreSQL on this machine ({os.cpu_count()} cores, shared), default settings",
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
