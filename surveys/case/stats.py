"""The loop's figures over the cases opened (and detractor-level answers given) in a period:

- close rate: cases resolved or closed without action, of those opened;
- median time to first contact, in hours, over cases contacted (or resolved) so far;
- share inside SLA: cases first handled (contacted or closed) by their due time, of those handled
  or already past it; the SLA is the time to first action on the customer's answer;
- rescue rate: detractor-level answers whose customer's next answer to the same survey scored
  higher, for answers with a case against answers without one (the comparison group), with a
  two-proportion z test; under ``MIN_SAMPLE`` (30) re-answers in either group the difference is
  "too few to conclude", never a claim. Every figure carries its ``n``.
"""

import math
import statistics
from datetime import datetime, timedelta

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.case.models import CLOSED_STATUSES, Case, RescueFact
from surveys.core.db import utcnow
from surveys.metrics.significance import MIN_SAMPLE

DEFAULT_PERIOD = timedelta(days=90)
TEST = "two-proportion z test (pooled for the p-value, unpooled for the interval)"


def _figure(value: float | None, n: int) -> dict:
    return {"value": value, "n": n}


def case_stats(
    session: Session,
    *,
    workspace_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> dict:
    now = now or utcnow()
    end = end or now
    start = start or end - DEFAULT_PERIOD
    rows = session.execute(
        select(Case.status, Case.created_at, Case.due_at, Case.first_contacted_at, Case.closed_at).where(
            Case.workspace_id == workspace_id, Case.created_at >= start, Case.created_at < end
        )
    ).all()
    opened = len(rows)
    closed = sum(1 for r in rows if r.status in CLOSED_STATUSES)
    waits = [
        (r.first_contacted_at - r.created_at).total_seconds() / 3600 for r in rows if r.first_contacted_at
    ]
    handled = [(r.first_contacted_at or r.closed_at, r.due_at) for r in rows]
    decided = [(at, due) for at, due in handled if at is not None or due <= now]
    inside = sum(1 for at, due in decided if at is not None and at <= due)
    return {
        "start": start,
        "end": end,
        "opened": opened,
        "open": sum(1 for r in rows if r.status not in CLOSED_STATUSES),
        "overdue": sum(1 for r in rows if r.status == "open" and r.due_at <= now),
        "close_rate": _figure(closed / opened if opened else None, opened),
        "median_hours_to_first_contact": _figure(
            round(statistics.median(waits), 2) if waits else None, len(waits)
        ),
        "inside_sla": _figure(inside / len(decided) if decided else None, len(decided)),
        "rescue": rescue(session, workspace_id=workspace_id, start=start, end=end),
    }


def rescue(session: Session, *, workspace_id: str, start: datetime, end: datetime) -> dict:
    """Detractor-level answers in [start, end) with and without a case, and how many of each
    were followed by a higher score from the same customer on the same survey: read from the
    facts kept with the answers (:mod:`surveys.case.rescue`), one indexed range of one table."""
    query = (
        select(
            RescueFact.has_case,
            func.count(),
            func.count(RescueFact.next_score),
            func.sum(when((RescueFact.next_score > RescueFact.score, 1), else_=0)),
        )
        .where(
            RescueFact.workspace_id == workspace_id,
            RescueFact.submitted_at >= start,
            RescueFact.submitted_at < end,
        )
        .group_by(RescueFact.has_case)
    )
    groups = {True: (0, 0, 0), False: (0, 0, 0)}
    for flag, total, again, rescued in session.execute(query):
        groups[bool(flag)] = (total, again, int(rescued or 0))
    with_case, without_case = (_group(*groups[True]), _group(*groups[False]))
    return {
        "with_case": with_case,
        "without_case": without_case,
        **two_proportions(
            with_case["rescued"],
            with_case["answered_again"],
            without_case["rescued"],
            without_case["answered_again"],
        ),
    }


def _group(total: int, again: int, rescued: int) -> dict:
    return {
        "detractors": total,
        "answered_again": again,
        "rescued": rescued,
        "rate": rescued / again if again else None,
    }


def two_proportions(x1: int, n1: int, x2: int, n2: int, *, min_sample: int = MIN_SAMPLE) -> dict:
    """Difference p1 - p2 with its 95% interval and two-sided p-value, or why not."""
    result = {
        "difference": None,
        "ci95": None,
        "p_value": None,
        "test": TEST,
        "enough": False,
        "reason": None,
    }
    if min(n1, n2) < min_sample:
        smaller = "with a case" if n1 <= n2 else "without a case"
        result["reason"] = (
            f"too few to conclude: the group {smaller} has {min(n1, n2)} answers followed by another, "
            f"each group needs at least {min_sample}"
        )
        return result
    p1, p2 = x1 / n1, x2 / n2
    difference = p1 - p2
    half = 1.959963984540054 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if spread == 0 else float(2 * _norm_sf(abs(difference) / spread))
    result.update(
        difference=difference, ci95=[difference - half, difference + half], p_value=p_value, enough=True
    )
    return result


def _norm_sf(z: float) -> float:
    from scipy.stats import norm  # on first use: a costly import most processes never need

    return float(norm.sf(z))
