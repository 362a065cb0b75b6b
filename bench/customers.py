"""Customer list and account page server time at 100,000 customers and 1,000,000 answers,
beside the raw SQL that reads the same rows, measured in the same run.

Loads answers with ``bench/metrics_scale.py``'s loader (generated inside PostgreSQL) into its own
throwaway database ``vocservice_bench_customers`` (``BENCH_CUSTOMERS_DATABASE_URL``; DROPPED and
re-created), adds 100,000 customers the answers belong to (about ten each over two years; a
revenue attribute with 5% odd values such as "n/a"; 80% in one of 2,000 companies), then scores
every customer once (the nightly run: ``surveys.customer.health.recompute``, timed) and times,
through Flask's test client (in process, no network):

- ``GET /api/v1/contacts?sort=health`` (worst first) and ``?sort=-revenue``, 50 a page, the first
  page and the 20th (keyset cursor);
- ``GET /api/v1/accounts/{key}`` for the account with the most customers.

Baseline: the SQL that reads the same rows from the same tables (profiles joined with contacts,
ordered and limited the same way; the account row and its members), without the web layer.

Run: ``.venv/bin/python bench/customers.py [--size 1000000] [--customers 100000] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault(
    "BENCH_METRICS_DATABASE_URL",
    os.environ.get(
        "BENCH_CUSTOMERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench_customers"
    ),
)

import metrics_scale  # noqa: E402
from common import Row, recreate_database, report  # noqa: E402

RAW = {
    "health": (
        "SELECT p.*, c.* FROM customer_profiles p JOIN contacts c ON c.id = p.contact_id "
        "WHERE p.workspace_id = :ws AND p.health IS NOT NULL {after} "
        "ORDER BY p.health, p.contact_id LIMIT 51"
    ),
    "-revenue": (
        "SELECT p.*, c.* FROM customer_profiles p JOIN contacts c ON c.id = p.contact_id "
        "WHERE p.workspace_id = :ws AND p.revenue IS NOT NULL {after} "
        "ORDER BY p.revenue DESC, p.contact_id DESC LIMIT 51"
    ),
}
AFTER = {
    "health": "AND (p.health > :v OR (p.health = :v AND p.contact_id > :id))",
    "-revenue": "AND (p.revenue < :v OR (p.revenue = :v AND p.contact_id < :id))",
}
ACCOUNT = [
    "SELECT * FROM customer_accounts WHERE workspace_id = :ws AND key = :key",
    "SELECT p.*, c.* FROM customer_profiles p JOIN contacts c ON c.id = p.contact_id "
    "WHERE p.workspace_id = :ws AND p.account_key = :key AND p.health IS NOT NULL "
    "ORDER BY p.health, p.contact_id LIMIT 101",
]


def _customers(app, ctx: dict, customers: int) -> float:
    """Customers with revenue and company attributes, the answers spread over them, then every
    customer scored once (returns that scoring time)."""
    from sqlalchemy import text

    from surveys.core.db import db
    from surveys.customer import health

    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO contacts (id, workspace_id, external_id, attributes, created_at, updated_at) "
                "SELECT 'ct_b' || to_char(g, 'FM0000000'), :ws, 'cust-' || g, "
                "jsonb_build_object('arr', CASE WHEN g % 20 = 0 THEN to_jsonb('n/a'::text) "
                "ELSE to_jsonb((g * 7919 % 2000) * 50) END, "
                "'plan', (ARRAY['starter','pro','enterprise'])[1 + g % 3]) "
                "|| CASE WHEN g % 5 = 0 THEN '{}'::jsonb "
                "ELSE jsonb_build_object('company', 'company-' || (g * 31 % 2000)) END, "
                "now(), now() FROM generate_series(0, :n - 1) AS g"
            ),
            {"ws": ctx["workspace_id"], "n": customers},
        )
        db.session.execute(
            text(
                "UPDATE responses SET contact_id = 'ct_b' || "
                "to_char(substr(id, 6)::bigint * 7919 % :n, 'FM0000000') WHERE workspace_id = :ws"
            ),
            {"ws": ctx["workspace_id"], "n": customers},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE responses"))
        db.session.execute(text("ANALYZE contacts"))
        db.session.commit()
        started = time.perf_counter()
        health.recompute(db.session, workspace_id=ctx["workspace_id"])
        db.session.commit()
        elapsed = time.perf_counter() - started
        for table in ("customer_profiles", "customer_accounts", "health_history"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()
    return elapsed


def _pages(client, headers, sort: str, pages: int) -> list[str | None]:
    """The cursors of pages 1..pages (None for the first)."""
    cursors, cursor = [None], None
    for _ in range(pages - 1):
        query = f"/api/v1/contacts?sort={sort}&limit=50" + (f"&cursor={cursor}" if cursor else "")
        cursor = client.get(query, headers=headers).json["next_cursor"]
        cursors.append(cursor)
    return cursors


def _time(call, repeats: int) -> list[float]:
    samples = []
    for i in range(repeats + 2):
        started = time.perf_counter()
        call()
        if i >= 2:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(app, ctx: dict, repeats: int) -> dict[str, tuple[float, float]]:
    import base64
    import json

    from sqlalchemy import text

    from surveys.core.db import db

    client = app.test_client()
    headers = {"Authorization": f"Bearer {ctx['key']}"}
    found: dict[str, tuple[float, float]] = {}
    with app.app_context():
        ws = ctx["workspace_id"]
        biggest = db.session.execute(
            text(
                "SELECT key, contacts FROM customer_accounts WHERE workspace_id = :ws "
                "ORDER BY contacts DESC LIMIT 1"
            ),
            {"ws": ws},
        ).one()
        ctx["account"] = biggest
        for sort in ("health", "-revenue"):
            cursors = _pages(client, headers, sort, 20)
            for page, cursor in ((1, cursors[0]), (20, cursors[-1])):
                url = f"/api/v1/contacts?sort={sort}&limit=50" + (f"&cursor={cursor}" if cursor else "")

                def api(url=url):
                    reply = client.get(url, headers=headers)
                    if reply.status_code != 200:
                        raise SystemExit(f"{url} -> {reply.status_code}: {reply.json}")

                params = {"ws": ws}
                after = ""
                if cursor:
                    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
                    _, value, last_id = json.loads(raw)
                    params.update(v=value, id=last_id)
                    after = AFTER[sort]
                statement = text(RAW[sort].format(after=after))

                def sql(statement=statement, params=params):
                    db.session.execute(statement, params).all()

                found[f"{sort} page {page}"] = (
                    metrics_scale._percentiles(_time(api, repeats))[0],
                    metrics_scale._percentiles(_time(sql, repeats))[0],
                )
        key = biggest.key

        def account_api():
            reply = client.get(f"/api/v1/accounts/{key}", headers=headers)
            if reply.status_code != 200:
                raise SystemExit(f"account -> {reply.status_code}")

        def account_sql():
            for statement in ACCOUNT:
                db.session.execute(text(statement), {"ws": ws, "key": key}).all()

        found["account"] = (
            metrics_scale._percentiles(_time(account_api, repeats))[0],
            metrics_scale._percentiles(_time(account_sql, repeats))[0],
        )
        db.session.rollback()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="100,000 answers, 10,000 customers")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.customers, args.repeats = 100_000, 10_000, 10
    recreate_database(metrics_scale.URL)
    app = metrics_scale._app()
    ctx = metrics_scale._setup(app)
    load_s = metrics_scale._load(app, ctx, 1, args.size)
    score_s = _customers(app, ctx, args.customers)
    print(
        f"  {args.size:,} answers loaded in {load_s:.1f} s; "
        f"{args.customers:,} customers scored in {score_s:.1f} s",
        flush=True,
    )
    found = measure(app, ctx, args.repeats)
    size = f"{args.customers:,} customers, {args.size:,} answers"
    rows = [
        Row(
            f"GET /api/v1/contacts?sort={name.split()[0]} {' '.join(name.split()[1:])} p50",
            ours,
            raw,
            "ms",
            higher_is_better=False,
        )
        for name, (ours, raw) in found.items()
        if name != "account"
    ]
    rows.append(Row("GET /api/v1/accounts/{key} p50", *found["account"], "ms", higher_is_better=False))
    report(
        "customers",
        f"Customer list and account page @ {size}",
        rows,
        notes=[
            "ours = the API through Flask's test client (auth, schema, JSON); baseline = the SQL that "
            "reads the same rows from the same tables, ordered and limited the same way",
            f"the account: {ctx['account'].key} with {ctx['account'].contacts} customers "
            "(its page lists 100)",
            f"scoring every customer once (the nightly run) took {score_s:.1f} s; no invitations or "
            "stored analyses in this data, so those factors are left out of the scores",
            f"PostgreSQL on this machine ({os.cpu_count()} cores, shared), default settings",
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
