"""How well the health score predicted churn: for each horizon (30, 60, 90 days), the score each
customer had that long before they churned (a workspace's churn events) or before today (those
who stayed), and how well it separated the two groups: the ROC AUC (the chance that a customer
who stayed had a higher score than one who churned, ties half), its 95% interval by Hanley and
McNeil (1982), and the AUC with each factor left out, all with the current weights applied to the
factor values stored in the history, so weights can be tuned on evidence.
"""

import math
from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.customer import settings as health_settings
from surveys.customer.health import combine
from surveys.customer.models import HealthPoint
from surveys.event.models import Event

HORIZONS = (30, 60, 90)
Z95 = 1.959963984540054


def auc(stayed: list[float], churned: list[float]) -> float | None:
    """P(stayed score > churned score) + P(tie) / 2, by ranks (Mann-Whitney U / (n1 * n2))."""
    n1, n2 = len(stayed), len(churned)
    if not n1 or not n2:
        return None
    values = sorted([(v, 0) for v in stayed] + [(v, 1) for v in churned])
    rank_sum, i = 0.0, 0
    while i < len(values):
        j = i
        while j < len(values) and values[j][0] == values[i][0]:
            j += 1
        mid = (i + 1 + j) / 2  # mean rank of the tied run (ranks start at 1)
        rank_sum += mid * sum(1 for k in range(i, j) if values[k][1] == 0)
        i = j
    u = rank_sum - n1 * (n1 + 1) / 2
    return u / (n1 * n2)


def hanley_mcneil(area: float, n_churned: int, n_stayed: int) -> tuple[float, float]:
    q1, q2 = area / (2 - area), 2 * area * area / (1 + area)
    variance = (
        area * (1 - area) + (n_churned - 1) * (q1 - area * area) + (n_stayed - 1) * (q2 - area * area)
    ) / (n_churned * n_stayed)
    half = Z95 * math.sqrt(max(variance, 0.0))
    return max(0.0, area - half), min(1.0, area + half)


def _rescore(values: dict, weights: dict) -> float | None:
    return combine(values, weights)[0]


def validate(session: Session, *, workspace_id: str, now: datetime | None = None) -> dict:
    now = now or utcnow()
    s = health_settings.load(session, workspace_id)
    result = {
        "churn_events": s.churn_events,
        "min_churns": s.min_churns,
        "weights": s.weights,
        "horizons": [],
    }
    churned_at: dict[str, datetime] = {}
    if s.churn_events:
        churned_at = dict(
            session.execute(
                select(Event.contact_id, func.min(Event.occurred_at))
                .where(Event.workspace_id == workspace_id, Event.name.in_(s.churn_events))
                .group_by(Event.contact_id)
            ).all()
        )
    today = now.astimezone(UTC).date()
    history: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    rows = session.execute(
        select(HealthPoint.contact_id, HealthPoint.day, HealthPoint.factors)
        .join(Contact, Contact.id == HealthPoint.contact_id)
        .where(
            HealthPoint.workspace_id == workspace_id, HealthPoint.day <= today - timedelta(days=min(HORIZONS))
        )
        .order_by(HealthPoint.contact_id, HealthPoint.day)
    )
    for contact_id, day, factors in rows:
        days, values = history[contact_id]
        days.append(day)
        values.append(factors or {})
    names = [n for n, w in s.weights.items() if w > 0]
    for horizon in HORIZONS:
        stayed: list[dict] = []
        churned: list[dict] = []
        for contact_id, (days, values) in history.items():
            at = churned_at.get(contact_id)
            as_of = (at.astimezone(UTC).date() if at else today) - timedelta(days=horizon)
            index = bisect_right(days, as_of) - 1
            if index < 0:
                continue
            (churned if at else stayed).append(values[index])
        entry = {"days": horizon, "churned": len(churned), "stayed": len(stayed)}
        if len(churned) < s.min_churns or not stayed:
            entry.update(status="not_enough_data", auc=None, ci95=None, without={})
            result["horizons"].append(entry)
            continue

        def area(weights, churned=churned, stayed=stayed):
            a = [_rescore(v, weights) for v in stayed]
            b = [_rescore(v, weights) for v in churned]
            return auc([x for x in a if x is not None], [x for x in b if x is not None])

        full = area(s.weights)
        entry.update(
            status="ok",
            auc=None if full is None else round(full, 4),
            ci95=None
            if full is None
            else [round(x, 4) for x in hanley_mcneil(full, len(churned), len(stayed))],
            without={},
        )
        for name in names:
            if len(names) > 1:
                without = area({**s.weights, name: 0.0})
                entry["without"][name] = None if without is None else round(without, 4)
        result["horizons"].append(entry)
    return result
