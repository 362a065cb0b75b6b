"""Health scores: computed set-based for any set of contacts, stored on their profiles with each
factor's contribution, kept as history, and summed up per account.

The score is the weighted mean of the factors that have data (weights renormalised over them),
0-100. Each factor's contribution is its share of the distance from a neutral 50, so the
contributions of a score add up to ``score - 50`` and can be read as "-18: last NPS 3".

A history point is written only when a contact's score or factor values change (recency moves in
steps), so "the score as it stood on a day" is the latest point on or before it.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.bulk import insert_rows
from surveys.core.db import upsert_insert, utcnow
from surveys.customer import settings as health_settings
from surveys.customer.factors import FACTORS, Context, Reading
from surveys.customer.models import CustomerAccount, CustomerProfile, HealthPoint
from surveys.customer.numbers import read_key, read_number
from surveys.survey.scales import category
from surveys.webhook import outbox
from surveys.workspace.models import Workspace

CHUNK = 2000
WRITE_CHUNK = 2000


def combine(values: dict[str, float], weights: dict[str, float]) -> tuple[float | None, dict[str, tuple]]:
    """(score, factor -> (share of weight, contribution)) for the factors in ``values``."""
    used = {name: weights.get(name, 0.0) for name in values if weights.get(name, 0.0) > 0}
    total = sum(used.values())
    if total <= 0:
        return None, {}
    score = sum(weights[name] * values[name] for name in used) / total
    parts = {name: (w / total, w * (values[name] - 50.0) / total) for name, w in used.items()}
    return score, parts


def explain(readings: dict[str, Reading], weights: dict[str, float]) -> tuple[float | None, list[dict]]:
    score, parts = combine({name: r.value for name, r in readings.items()}, weights)
    factors = []
    for name, (share, contribution) in sorted(parts.items(), key=lambda item: item[1][1]):
        factor = FACTORS.get(name)
        factors.append(
            {
                "factor": name,
                "label": factor.label if factor else name,
                "value": round(readings[name].value, 1),
                "weight": round(share, 4),
                "contribution": round(contribution, 1),
                "note": readings[name].note,
                "text": f"{round(contribution):+d}: {readings[name].note}",
            }
        )
    return (None if score is None else round(score, 1)), factors


def _day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def _upsert(session: Session, table, rows: list[dict], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE of every other column, one statement per chunk
    (unnest arrays on PostgreSQL: no per-row statement compiling)."""
    names = [c.name for c in table.columns if c.name not in keys]
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(
        f"{n} = EXCLUDED.{n}" for n in names
    )

    def sqlite_statement():
        stmt = upsert_insert(session, table)
        return stmt.on_conflict_do_update(index_elements=keys, set_={n: stmt.excluded[n] for n in names})

    for start in range(0, len(rows), WRITE_CHUNK):
        insert_rows(
            session,
            table,
            rows[start : start + WRITE_CHUNK],
            on_conflict=conflict,
            sqlalchemy_statement=sqlite_statement,
        )


def _history(session: Session, *, workspace_id: str, scored: dict[str, tuple], day: date, s) -> dict:
    """Write the changed points of ``day`` and return contact id -> points lost from the highest
    score of the decline window (0 when none)."""
    ids = list(scored)
    latest = (
        select(HealthPoint.contact_id, func.max(HealthPoint.day).label("day"))
        .where(HealthPoint.contact_id.in_(ids), HealthPoint.day <= day)
        .group_by(HealthPoint.contact_id)
        .subquery()
    )
    previous = {
        row.contact_id: (row.score, row.factors)
        for row in session.execute(
            select(HealthPoint.contact_id, HealthPoint.score, HealthPoint.factors).join(
                latest, and_(latest.c.contact_id == HealthPoint.contact_id, latest.c.day == HealthPoint.day)
            )
        )
    }
    points = []
    for contact_id, (score, values) in scored.items():
        if score is None:
            continue
        rounded = {k: round(v, 1) for k, v in values.items()}
        if previous.get(contact_id) != (score, rounded):
            points.append(
                {
                    "contact_id": contact_id,
                    "day": day,
                    "workspace_id": workspace_id,
                    "score": score,
                    "factors": rounded,
                }
            )
    if points:
        _upsert(session, HealthPoint.__table__, points, ["contact_id", "day"])
    start = day - timedelta(days=s.decline_days)
    in_window = dict(
        session.execute(
            select(HealthPoint.contact_id, func.max(HealthPoint.score))
            .where(HealthPoint.contact_id.in_(ids), HealthPoint.day > start, HealthPoint.day <= day)
            .group_by(HealthPoint.contact_id)
        ).all()
    )
    before = (
        select(HealthPoint.contact_id, func.max(HealthPoint.day).label("day"))
        .where(HealthPoint.contact_id.in_(ids), HealthPoint.day <= start)
        .group_by(HealthPoint.contact_id)
        .subquery()
    )
    at_start = dict(
        session.execute(
            select(HealthPoint.contact_id, HealthPoint.score).join(
                before, and_(before.c.contact_id == HealthPoint.contact_id, before.c.day == HealthPoint.day)
            )
        ).all()
    )
    drops = {}
    for contact_id, (score, _) in scored.items():
        peaks = [p for p in (in_window.get(contact_id), at_start.get(contact_id)) if p is not None]
        drops[contact_id] = max(0.0, max(peaks) - score) if peaks and score is not None else 0.0
    return drops


def recompute(
    session: Session, *, workspace_id: str, contact_ids: list[str] | None = None, now: datetime | None = None
) -> int:
    """Score ``contact_ids`` (every contact of the workspace when None) as of ``now``, store
    their profiles, history and accounts, and emit ``contact.health_changed`` for band changes.
    Returns the number of contacts scored."""
    now = now or utcnow()
    s = health_settings.load(session, workspace_id)
    revenue_attribute = session.execute(
        select(Workspace.revenue_attribute).where(Workspace.id == workspace_id)
    ).scalar_one()
    if contact_ids is None:
        contact_ids = list(
            session.execute(
                select(Contact.id).where(Contact.workspace_id == workspace_id).order_by(Contact.id)
            )
            .scalars()
            .all()
        )
    done = 0
    touched_accounts: set[str] = set()
    for start in range(0, len(contact_ids), CHUNK):
        chunk = sorted(set(contact_ids[start : start + CHUNK]))
        done += _score_chunk(session, workspace_id, chunk, now, s, revenue_attribute, touched_accounts)
    if touched_accounts:
        refresh_accounts(session, workspace_id=workspace_id, keys=touched_accounts, settings=s, now=now)
    return done


def _score_chunk(session, workspace_id, ids, now, s, revenue_attribute, touched_accounts) -> int:
    contacts = session.execute(
        select(
            Contact.id,
            Contact.external_id,
            Contact.email,
            Contact.name,
            Contact.attributes,
            Contact.updated_at,
        ).where(Contact.id.in_(ids), Contact.workspace_id == workspace_id)
    ).all()
    if not contacts:
        return 0
    ctx = Context(session=session, workspace_id=workspace_id, contact_ids=[c.id for c in contacts], now=now)
    readings: dict[str, dict[str, Reading]] = defaultdict(dict)
    for factor in FACTORS:
        if s.weights.get(factor.name, 0) <= 0:
            continue
        for contact_id, reading in factor.read(ctx).items():
            readings[contact_id][factor.name] = reading
    answers, last = ctx.answers(), ctx.last_answers()
    old = {
        row.contact_id: row
        for row in session.execute(
            select(
                CustomerProfile.contact_id,
                CustomerProfile.band,
                CustomerProfile.health,
                CustomerProfile.account_key,
            ).where(CustomerProfile.contact_id.in_(ctx.contact_ids))
        )
    }
    rows, scored = [], {}
    for contact in contacts:
        health, factors = explain(readings.get(contact.id, {}), s.weights)
        attributes = contact.attributes or {}
        latest = answers.get(contact.id)
        rows.append(
            {
                "contact_id": contact.id,
                "workspace_id": workspace_id,
                "account_key": read_key(attributes.get(s.account_attribute)),
                "revenue": read_number(attributes.get(revenue_attribute)),
                "health": health,
                "band": s.band(health),
                "factors": factors,
                "last_answer_at": last.get(contact.id),
                "latest_category": category(latest[-1][1], latest[-1][2]) if latest else None,
                "computed_at": now,
                "contact_updated_at": contact.updated_at,
            }
        )
        scored[contact.id] = (health, {f["factor"]: f["value"] for f in factors})
    drops = _history(session, workspace_id=workspace_id, scored=scored, day=_day(now), s=s)
    for row in rows:
        drop = drops.get(row["contact_id"], 0.0)
        row["decline"] = round(drop, 1)
        row["declining"] = drop >= s.decline_points
        touched_accounts.update(
            k for k in (row["account_key"], getattr(old.get(row["contact_id"]), "account_key", None)) if k
        )
    _upsert(session, CustomerProfile.__table__, rows, ["contact_id"])
    _emit_band_changes(session, workspace_id, contacts, rows, old, now)
    return len(rows)


def _emit_band_changes(session, workspace_id, contacts, rows, old, now) -> None:
    changed = [
        row
        for row in rows
        if row["band"] is not None
        and old.get(row["contact_id"]) is not None
        and old[row["contact_id"]].band is not None
        and old[row["contact_id"]].band != row["band"]
    ]
    if not changed:
        return
    endpoints = outbox.subscriptions(session, workspace_id).get("contact.health_changed")
    if not endpoints:
        return
    by_id = {c.id: c for c in contacts}
    items = []
    for row in changed:
        contact, before = by_id[row["contact_id"]], old[row["contact_id"]]
        items.append(
            {
                "contact": {
                    "id": contact.id,
                    "external_id": contact.external_id,
                    "email": contact.email,
                    "name": contact.name,
                },
                "health": row["health"],
                "band": row["band"],
                "previous_band": before.band,
                "previous_health": before.health,
                "account": row["account_key"],
                "factors": [{k: f[k] for k in f if k != "text"} for f in row["factors"]],
            }
        )
    outbox.emit(
        session,
        workspace_id=workspace_id,
        event_type="contact.health_changed",
        items=items,
        endpoint_ids=endpoints,
        now=now,
    )


def refresh_accounts(session: Session, *, workspace_id: str, keys: set[str], settings=None, now=None) -> None:
    """Recompute the named accounts from their contacts' profiles: the mean of each factor over
    the contacts that have it, weighed as for one contact; revenue is the highest of the contacts'
    (an account attribute such as ARR is usually repeated on every contact of the company)."""
    s = settings or health_settings.load(session, workspace_id)
    now = now or utcnow()
    keys = sorted(keys)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        members: dict[str, list] = defaultdict(list)
        for row in session.execute(
            select(
                CustomerProfile.account_key,
                CustomerProfile.revenue,
                CustomerProfile.factors,
                CustomerProfile.last_answer_at,
                CustomerProfile.band,
                CustomerProfile.declining,
            ).where(CustomerProfile.workspace_id == workspace_id, CustomerProfile.account_key.in_(chunk))
        ):
            members[row.account_key].append(row)
        session.execute(
            delete(CustomerAccount).where(
                CustomerAccount.workspace_id == workspace_id,
                CustomerAccount.key.in_([k for k in chunk if k not in members]),
            )
        )
        rows = []
        for key, people in members.items():
            sums: dict[str, list[float]] = defaultdict(list)
            for person in people:
                for f in person.factors or ():
                    sums[f["factor"]].append(f["value"])
            readings = {
                name: Reading(
                    sum(v) / len(v), f"mean {sum(v) / len(v):.0f}/100 over {len(v)} of {len(people)} contacts"
                )
                for name, v in sums.items()
            }
            health, factors = explain(readings, s.weights)
            revenues = [p.revenue for p in people if p.revenue is not None]
            answered = [p.last_answer_at for p in people if p.last_answer_at is not None]
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "key": key,
                    "contacts": len(people),
                    "revenue": max(revenues) if revenues else None,
                    "health": health,
                    "band": s.band(health),
                    "factors": factors,
                    "last_answer_at": max(answered) if answered else None,
                    "at_risk_contacts": sum(1 for p in people if p.band == "at_risk" or p.declining),
                    "computed_at": now,
                }
            )
        if rows:
            _upsert(session, CustomerAccount.__table__, rows, ["workspace_id", "key"])
