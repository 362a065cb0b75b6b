"""Scores by the book: NPS, CSAT and CES with counts and 95% confidence intervals, overall and
grouped by snapshot attribute, saved segment, touchpoint, theme, week or month.

- NPS = %promoters (9-10) - %detractors (0-6), in points; variance
  ``(p_pro + p_det - (p_pro - p_det)^2) / n``, interval score +- 1.96 * 100 * sqrt(var).
- CSAT = % of answers 4-5, with a Wilson score interval.
- CES = mean (1-7), with a Student t interval (normal beyond 30 answers is within 1.5%, but t is
  cheap and right).
Only completed answers count; fewer than 30 is flagged ``small_sample``. Figures come from the
daily rollups when the question allows it (see :mod:`surveys.metrics.rollups`), else from raw rows.
"""

import json
import math
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.analysis.models import ResponseTheme, Theme
from surveys.invitation.models import Invitation
from surveys.metrics.rollups import (
    ROLLUP_ATTRIBUTES,
    TOTAL,
    Bucket,
    as_date,
    built_dims,
    day_expr,
    raw_buckets,
    rollup_buckets,
    segment_dim,
    split_range,
)
from surveys.response.models import Response
from surveys.segment.models import Segment
from surveys.segment.service import filter_for, segment_clause
from surveys.survey.models import Survey, Touchpoint
from surveys.survey.service import get_survey

Z95 = 1.959963984540054
SMALL_SAMPLE = 30
# Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
_CATEGORIES = {
    "nps": ((9, 10), (7, 8), (0, 6)),
    "csat": ((4, 5), (3, 3), (1, 2)),
    "ces": ((5, 7), (4, 4), (1, 3)),
}


def t975(df: int) -> float:
    if df <= len(_T975):
        return _T975[df - 1]
    # Cornish-Fisher expansion around the normal quantile: error below 1e-4 from df 30 on.
    z = Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def summarize(kind: str, bucket: Bucket) -> dict:
    counts, n = bucket.counts, bucket.n
    (hi_lo, hi_hi), (mid_lo, mid_hi), (lo_lo, lo_hi) = _CATEGORIES[kind]
    top = sum(counts[hi_lo : hi_hi + 1])
    middle = sum(counts[mid_lo : mid_hi + 1])
    bottom = sum(counts[lo_lo : lo_hi + 1])
    score, ci = None, None
    if n and kind == "nps":
        p_pro, p_det = top / n, bottom / n
        score = 100 * (p_pro - p_det)
        half = Z95 * 100 * math.sqrt(max(p_pro + p_det - (p_pro - p_det) ** 2, 0.0) / n)
        ci = [max(-100.0, score - half), min(100.0, score + half)]
    elif n and kind == "csat":
        p = top / n
        score = 100 * p
        denominator = 1 + Z95**2 / n
        centre = (p + Z95**2 / (2 * n)) / denominator
        half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
        ci = [100 * (centre - half), 100 * (centre + half)]
    elif n and kind == "ces":
        total = sum(value * count for value, count in enumerate(counts))
        score = total / n
        if n > 1:
            squares = sum((value - score) ** 2 * count for value, count in enumerate(counts))
            half = t975(n - 1) * math.sqrt(squares / (n - 1)) / math.sqrt(n)
            ci = [score - half, score + half]
    return {
        "responses": n,
        "score": _round(score),
        "promoters": top,
        "passives": middle,
        "detractors": bottom,
        "ci95": [_round(v) for v in ci] if ci else None,
        "small_sample": n < SMALL_SAMPLE,
    }


def period_key(day: date, interval: str) -> str:
    if interval == "week":
        return (day - timedelta(days=day.weekday())).isoformat()  # the Monday of its ISO week
    return day.strftime("%Y-%m")


def _merge(into: dict, more: dict, key=lambda k: k) -> None:
    for raw_key, bucket in more.items():
        into.setdefault(key(raw_key), Bucket()).add(bucket)


def buckets(
    session: Session,
    *,
    survey_id: str,
    start: datetime | None,
    end: datetime | None,
    group_by: str | None = None,
    where=(),
    rollups: bool = True,
    filter_dim: str | None = None,
    dims: frozenset | set = frozenset(),
) -> tuple[dict, str]:
    """Buckets by group key, and which source answered: "rollups", "mixed" or "raw".

    ``where`` narrows the answers (a segment's condition); ``filter_dim`` is the rollup
    dimension holding exactly those answers, when the rollups keep one. ``dims``: the
    workspace's ``rollup_dims`` (attributes beyond ``ROLLUP_ATTRIBUTES`` rolled up too)."""
    name = group_by.split(".", 1)[1] if group_by and group_by.startswith("attributes.") else None
    rolled_attribute = name is not None and (name in ROLLUP_ATTRIBUTES or group_by in dims)
    usable = rollups and (
        (group_by in (None, "week", "month", "touchpoint") and (not where or filter_dim is not None))
        or (rolled_attribute and not where)
    )
    day_keyed = group_by in ("week", "month")
    base = filter_dim if where and filter_dim else TOTAL
    if group_by is None:
        raw_key, dim, roll_key = None, base, None
    elif day_keyed:
        raw_key, dim, roll_key = day_expr(session), base, "day"
    elif group_by == "touchpoint":
        raw_key, dim, roll_key = Response.touchpoint_id, base, "touchpoint"
    elif name is not None:
        raw_key, dim, roll_key = Response.attributes[name].as_string(), group_by, "value"
    else:
        raise ValueError(group_by)
    result: dict = {}
    normal = (lambda k: period_key(as_date(k), group_by)) if day_keyed else (lambda k: k or None)
    if not usable:
        _merge(
            result,
            raw_buckets(session, survey_id=survey_id, start=start, end=end, key_expr=raw_key, where=where),
            normal,
        )
        return result, "raw"
    days, raw_ranges = split_range(start, end)
    if days is not None:
        _merge(result, rollup_buckets(session, survey_id=survey_id, days=days, dim=dim, key=roll_key), normal)
    for low, high in raw_ranges:
        _merge(
            result,
            raw_buckets(session, survey_id=survey_id, start=low, end=high, key_expr=raw_key, where=where),
            normal,
        )
    return result, "rollups" if not raw_ranges else "mixed"


def _special_groups(
    session: Session,
    *,
    survey: Survey,
    group_by: str,
    start,
    end,
    where,
    rollups: bool = True,
    dims: frozenset | set = frozenset(),
) -> list[tuple]:
    """(key, label, bucket) for groups that need joins or segment conditions: raw rows."""
    if group_by == "theme":
        grouped = raw_buckets(
            session,
            survey_id=survey.id,
            start=start,
            end=end,
            key_expr=ResponseTheme.theme_id,
            where=where,
            joins=[(ResponseTheme, ResponseTheme.response_id == Response.id)],
        )
        names = dict(
            session.execute(
                select(Theme.id, Theme.name).where(Theme.workspace_id == survey.workspace_id)
            ).all()
        )
        return [(names.get(key, key), key, bucket) for key, bucket in grouped.items()]
    groups = []
    by_value: dict[str, dict] = {}  # rollup rows per attribute, shared by the segments on it
    for segment in session.execute(
        select(Segment).where(Segment.workspace_id == survey.workspace_id).order_by(Segment.name)
    ).scalars():
        found = None
        if rollups and not where and segment_dim(segment.id) in dims:  # the segment's own rollups
            found = buckets(
                session,
                survey_id=survey.id,
                start=start,
                end=end,
                where=(segment_clause(session, segment.conditions),),
                filter_dim=segment_dim(segment.id),
            )[0].get(None, Bucket())
        elif rollups and not where:
            found = _segment_from_rollups(session, survey.id, segment.conditions, start, end, by_value)
        if found is None:
            clause = segment_clause(session, segment.conditions)
            found = raw_buckets(session, survey_id=survey.id, start=start, end=end, where=(*where, clause))
            found = found.get(None, Bucket())
        groups.append((segment.id, segment.name, found))
    return groups


def _unambiguous(value) -> bool:
    """A string no other JSON value spells the same in the rollups' text (:func:`dim_text`):
    not "", "5", "true", "null" or an object's text."""
    if not isinstance(value, str) or value == "":
        return False
    try:
        json.loads(value)
    except ValueError:
        return True
    return False


def _segment_from_rollups(session: Session, survey_id: str, conditions: list, start, end, cache: dict):
    """A saved segment's bucket from the daily rollups, or None when they cannot answer exactly.

    They can when every condition is ``eq``/``ne``/``in`` on one rolled-up attribute
    (``ROLLUP_ATTRIBUTES``) with strings no other JSON value spells alike: then a rollup row's
    value text decides the condition as the SQL on the snapshot does (a missing attribute
    is "" there, which equals no such string, as ``eq`` never matches it and ``ne`` does). The
    partial days at the range's edges read raw rows with the segment's SQL condition."""
    fields = {c.get("field") for c in conditions}
    if len(fields) != 1:
        return None
    field = fields.pop()
    if not (isinstance(field, str) and field.startswith("attributes.")):
        return None
    if field.split(".", 1)[1] not in ROLLUP_ATTRIBUTES:
        return None
    for condition in conditions:
        values = condition.get("value") if condition.get("op") == "in" else [condition.get("value")]
        if condition.get("op") not in ("eq", "ne", "in") or not isinstance(values, list):
            return None
        if not all(_unambiguous(v) for v in values):
            return None

    def keep(text: str) -> bool:
        for condition in conditions:
            op, value = condition["op"], condition["value"]
            hit = text in value if op == "in" else text == value
            if hit != (op != "ne"):
                return False
        return True

    days, raw_ranges = split_range(start, end)
    bucket = Bucket()
    if days is not None:
        if field not in cache:
            cache[field] = rollup_buckets(session, survey_id=survey_id, days=days, dim=field, key="value")
        for value, found in cache[field].items():
            if keep(value):
                bucket.add(found)
    clause = segment_clause(session, conditions)
    for low, high in raw_ranges:
        bucket.add(
            raw_buckets(session, survey_id=survey_id, start=low, end=high, where=(clause,)).get(
                None, Bucket()
            )
        )
    return bucket


def query_scope(
    session: Session, *, workspace_id: str, survey_id: str, segment_id: str | None, rollups: bool
):
    """What every figure of one survey (optionally in a saved segment) starts from: the survey,
    the segment's condition on raw rows (``where``), the rollup dimensions kept and the one
    that stands for the segment (:func:`rolled_dims`)."""
    survey = get_survey(session, workspace_id=workspace_id, survey_id=survey_id, field="survey_id")
    clause = filter_for(session, workspace_id=workspace_id, segment_id=segment_id)
    where = () if clause is None else (clause,)
    dims, filter_dim = rolled_dims(session, workspace_id=workspace_id, segment_id=segment_id, rollups=rollups)
    return survey, where, dims, filter_dim


def rolled_dims(
    session: Session, *, workspace_id: str, segment_id: str | None, rollups: bool = True
) -> tuple[set, str | None]:
    """The workspace's ``rollup_dims``, and the one holding a segment's answers (if kept)."""
    if not rollups:
        return set(), None
    dims = built_dims(session, workspace_id=workspace_id)
    wanted = segment_dim(segment_id) if segment_id else None
    return dims, wanted if wanted in dims else None


def _measure(
    session: Session,
    *,
    workspace_id: str,
    survey_id: str,
    start: datetime | None,
    end: datetime | None,
    segment_id: str | None,
    group_by: str | None,
    rollups: bool,
) -> tuple[Survey, Bucket, list[tuple[object, dict, Bucket]], str]:
    """The survey, its overall bucket and ``(key, labels, bucket)`` per group, and the source."""
    survey, where, dims, filter_dim = query_scope(
        session, workspace_id=workspace_id, survey_id=survey_id, segment_id=segment_id, rollups=rollups
    )
    scope = dict(survey_id=survey.id, start=start, end=end, where=where, rollups=rollups)
    overall, source = buckets(session, filter_dim=filter_dim, **scope)
    groups: list[tuple[object, dict, Bucket]] = []
    if group_by in ("theme", "segment"):
        source = "raw"
        special = _special_groups(
            session,
            survey=survey,
            group_by=group_by,
            start=start,
            end=end,
            where=where,
            rollups=rollups,
            dims=dims,
        )
        for key, label, bucket in special:
            groups.append((key, {"theme_id": label} if group_by == "theme" else {"label": label}, bucket))
    elif group_by:
        grouped, source = buckets(session, group_by=group_by, filter_dim=filter_dim, dims=dims, **scope)
        labels = {}
        if group_by == "touchpoint":
            labels = dict(
                session.execute(
                    select(Touchpoint.id, Touchpoint.name).where(Touchpoint.workspace_id == workspace_id)
                ).all()
            )
        for key, bucket in grouped.items():
            if bucket.n:  # rollup rows whose answers were all taken back are no group
                groups.append((key, {"label": labels.get(key)} if group_by == "touchpoint" else {}, bucket))
    return survey, overall.get(None, Bucket()), groups, source


def compute_metrics(
    session: Session,
    *,
    workspace_id: str,
    survey_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    segment_id: str | None = None,
    group_by: str | None = None,
    rollups: bool = True,
    compare: bool = False,
) -> dict:
    """The survey's figures over ``[start, end)``, overall and per group.

    With ``compare`` (``start`` and ``end`` required) the same-length period just before is
    measured too: ``previous`` figures, and per group and overall a ``change`` from
    :func:`surveys.metrics.significance.compare` (difference, 95% interval, p-value, test,
    ``significant`` and the ``reason`` when too few answers), from the same buckets."""
    scope = dict(workspace_id=workspace_id, survey_id=survey_id, segment_id=segment_id, group_by=group_by)
    survey, overall, groups, source = _measure(session, start=start, end=end, rollups=rollups, **scope)
    result = {
        "survey_id": survey.id,
        "kind": survey.kind,
        "segment_id": segment_id,
        "group_by": group_by,
        "overall": summarize(survey.kind, overall),
        "groups": [{"key": key, **extra, **summarize(survey.kind, bucket)} for key, extra, bucket in groups],
    }
    if compare:
        _add_previous(session, result, overall, groups, start=start, end=end, rollups=rollups, scope=scope)
    if group_by in ("week", "month"):
        result["groups"].sort(key=lambda g: g["key"])
    else:
        result["groups"].sort(key=lambda g: (-g["responses"], str(g["key"])))
    result["source"] = source
    return result


def _add_previous(session, result, overall, groups, *, start, end, rollups, scope) -> None:
    from surveys.metrics.significance import compare

    since = start - (end - start)
    _, overall_before, groups_before, _ = _measure(session, start=since, end=start, rollups=rollups, **scope)
    kind = result["kind"]
    result["previous"] = {"from": since, "to": start, "overall": summarize(kind, overall_before)}
    result["overall"]["change"] = compare(kind, overall, overall_before).as_dict()
    before = {key: (extra, bucket) for key, extra, bucket in groups_before}
    for group, (key, _, bucket) in zip(result["groups"], groups, strict=True):
        extra, earlier = before.get(key, ({}, None))
        group["previous"] = {**extra, **summarize(kind, earlier)} if earlier is not None else None
        group["change"] = compare(kind, bucket, earlier or Bucket()).as_dict()


def response_rates(
    session: Session, *, workspace_id: str, start: datetime | None = None, end: datetime | None = None
) -> dict:
    """Per touchpoint: invitations scheduled, sent, opened, answered, suppressed by reason, and rate."""
    query = (
        select(
            Invitation.touchpoint_id,
            Invitation.status,
            Invitation.reason,
            func.count(),
            func.count(Invitation.sent_at),
            func.count(Invitation.responded_at),
            func.count(Invitation.opened_at),
        )
        .where(Invitation.workspace_id == workspace_id)
        .group_by(Invitation.touchpoint_id, Invitation.status, Invitation.reason)
    )
    if start is not None:
        query = query.where(Invitation.created_at >= start)
    if end is not None:
        query = query.where(Invitation.created_at < end)
    rows: dict = defaultdict(
        lambda: {
            "invitations": 0,
            "scheduled": 0,
            "sent": 0,
            "opened": 0,
            "answered": 0,
            "suppressed": 0,
            "suppressed_by_reason": {},
            "cancelled": 0,
            "expired": 0,
            "failed": 0,
        }
    )
    for touchpoint_id, status, reason, count, sent, answered, opened in session.execute(query):
        row = rows[touchpoint_id]
        row["invitations"] += count
        row["sent"] += sent
        row["opened"] += opened
        row["answered"] += answered
        if status == "suppressed":
            row["suppressed"] += count
            key = reason or "unknown"
            row["suppressed_by_reason"][key] = row["suppressed_by_reason"].get(key, 0) + count
        else:
            row["scheduled"] += count  # every invitation that was meant to reach the customer
            if status in ("cancelled", "expired", "failed"):
                row[status] += count
    touchpoints = {
        t.id: t
        for t in session.execute(select(Touchpoint).where(Touchpoint.workspace_id == workspace_id)).scalars()
    }
    items = []
    for touchpoint_id in sorted(set(touchpoints) | set(rows), key=lambda k: k or ""):
        row = rows[touchpoint_id]
        touchpoint = touchpoints.get(touchpoint_id)
        items.append(
            {
                "touchpoint_id": touchpoint_id,
                "name": touchpoint.name if touchpoint else None,
                "survey_id": touchpoint.survey_id if touchpoint else None,
                "channel": touchpoint.channel if touchpoint else None,
                **row,
                "response_rate": round(row["answered"] / row["sent"], 4) if row["sent"] else None,
            }
        )
    return {
        "from": start,
        "to": end,
        "items": items,
        "notes": [
            "'opened' counts invitations whose survey page a person had open (its script ran or a "
            "button was pressed); emails carry no tracking pixels and mail scanners' fetches do not "
            "count. response_rate is answered / sent."
        ],
    }
