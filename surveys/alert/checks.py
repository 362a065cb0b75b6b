"""What the detractor, score-drop and theme-spike rules find in one evaluation: a
:class:`Finding` that fires or explains why not (silences: :mod:`surveys.alert.silence`). Score
windows read the daily rollups (:func:`surveys.metrics.service.buckets`), theme windows the theme
rollups; only the up to three quoted answers and the detractor signals since the rule's last
alert are read row by row, each bounded by an index and a limit.

Windows are whole UTC days ending at the start of today, so a partial day never makes a change.
"""

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.alert.models import AlertRule, AlertSignal
from surveys.analysis.models import ResponseTheme, Theme
from surveys.metrics.models import ThemeRollup
from surveys.metrics.rollups import Bucket, day_start
from surveys.metrics.service import buckets, query_scope
from surveys.metrics.significance import compare
from surveys.response.models import Response
from surveys.segment.service import filter_for
from surveys.survey.models import Survey

BOTTOM = {"nps": (0, 6), "csat": (1, 2), "ces": (1, 3)}
WORST = {"nps": "detractor", "csat": "dissatisfied", "ces": "difficult"}
# Detractors arriving together make one alert: a rule waits until its oldest uncounted signal is
# this old, then takes every signal up to now (a flood within a minute is one alert).
COALESCE = timedelta(seconds=60)
QUOTES = 3


@dataclass
class Finding:
    fire: bool
    outcome: dict
    window_key: str = ""
    window_from: datetime | None = None
    window_to: datetime | None = None
    title: str = ""
    figures: dict = field(default_factory=dict)
    p_value: float | None = None
    difference: float | None = None
    ci95: list | None = None
    examples: list = field(default_factory=list)
    evidence_path: str = ""
    cursor: int | None = None  # detractor rules: the last signal counted


def evidence(survey_id: str | None, first: date | None, last: date | None, **filters) -> str:
    """The feedback page filtered to the answers behind an alert (``to`` is inclusive there)."""
    query = {"survey": survey_id or "", **{k: v for k, v in filters.items() if v}}
    if first:
        query["from"] = first.isoformat()
    if last:
        query["to"] = last.isoformat()
    return "/app/feedback?" + urlencode({k: v for k, v in query.items() if v})


def _quotes(
    session: Session, rule: AlertRule, kind: str | None, start: datetime, end: datetime, extra=()
) -> list:
    """Up to three commented answers of the window, newest first: at the unhappy end of ``kind``'s
    scale (None: any score), narrowed by ``extra``."""
    low, high = BOTTOM[kind] if kind else (0, 10)
    query = select(Response.id, Response.score, Response.comment).where(
        Response.survey_id == rule.survey_id,
        Response.completed.is_(True),
        Response.score.between(low, high),
        Response.comment.is_not(None),
        Response.comment != "",
        Response.submitted_at >= start,
        Response.submitted_at < end,
        *extra,
    )
    clause = filter_for(session, workspace_id=rule.workspace_id, segment_id=rule.segment_id)
    if clause is not None:
        query = query.where(clause)
    rows = session.execute(query.order_by(Response.submitted_at.desc()).limit(QUOTES)).all()
    return [{"response_id": r.id, "score": r.score, "comment": r.comment[:500]} for r in rows]


def detractor(session: Session, rule: AlertRule, now: datetime) -> Finding:
    survey = session.get(Survey, rule.survey_id)
    scope = (
        AlertSignal.workspace_id == rule.workspace_id,
        AlertSignal.id > rule.signal_cursor,
        AlertSignal.survey_id == rule.survey_id,
    )
    count, first_id, last_id, oldest = session.execute(
        select(
            func.count(), func.min(AlertSignal.id), func.max(AlertSignal.id), func.min(AlertSignal.created_at)
        ).where(*scope)
    ).one()
    if not count:
        return Finding(False, {"status": "quiet", "detail": "no new detractor-level answers"})
    if oldest > now - COALESCE:
        return Finding(False, {"status": "collecting", "detail": f"{count} new, waiting to gather a burst"})
    query = (
        select(
            Response.score, func.count(), func.min(AlertSignal.created_at), func.max(AlertSignal.created_at)
        )
        .join(Response, Response.id == AlertSignal.response_id)
        .where(*scope, AlertSignal.id <= last_id)
        .group_by(Response.score)
    )
    clause = filter_for(session, workspace_id=rule.workspace_id, segment_id=rule.segment_id)
    if clause is not None:
        query = query.where(clause)
    rows = session.execute(query).all()
    total = sum(r[1] for r in rows)
    if not total:
        outcome = {"status": "quiet", "detail": "new detractor-level answers, none in the segment"}
        return Finding(False, outcome, cursor=last_id)
    start, end = min(r[2] for r in rows), max(r[3] for r in rows)
    quoted = (
        select(Response.id, Response.score, Response.comment)
        .join(AlertSignal, AlertSignal.response_id == Response.id)
        .where(*scope, AlertSignal.id <= last_id, Response.comment.is_not(None), Response.comment != "")
        .order_by(AlertSignal.id.desc())
        .limit(QUOTES)
    )
    if clause is not None:
        quoted = quoted.where(clause)
    examples = [
        {"response_id": r.id, "score": r.score, "comment": r.comment[:500]} for r in session.execute(quoted)
    ]
    word = WORST[survey.kind]
    title = f"{total} {word} answer{'s' if total != 1 else ''} on “{survey.name}”"
    return Finding(
        True,
        {"status": "fired", "detail": title},
        window_key=f"detractor:{first_id}-{last_id}",
        window_from=start,
        window_to=end,
        title=title,
        figures={
            "answers": total,
            "by_score": {str(r[0]): r[1] for r in sorted(rows)},
            "survey_kind": survey.kind,
        },
        examples=examples,
        evidence_path=evidence(survey.id, start.date(), end.date(), category=word, segment=rule.segment_id),
        cursor=last_id,
    )


def _bucket(session: Session, rule: AlertRule, first: date, last: date) -> Bucket:
    _, where, _, filter_dim = query_scope(
        session,
        workspace_id=rule.workspace_id,
        survey_id=rule.survey_id,
        segment_id=rule.segment_id,
        rollups=True,
    )
    found, _ = buckets(
        session,
        survey_id=rule.survey_id,
        start=day_start(first),
        end=day_start(last),
        where=where,
        filter_dim=filter_dim,
    )
    return found.get(None, Bucket())


def score_drop(session: Session, rule: AlertRule, now: datetime) -> Finding:
    survey = session.get(Survey, rule.survey_id)
    end = now.date()
    width = timedelta(days=rule.window_days)
    start = end - width
    windows = 1 if rule.baseline == "previous" else rule.baseline_windows
    base_start = start - width * windows
    current = _bucket(session, rule, start, end)
    previous = _bucket(session, rule, base_start, start)
    result = compare(survey.kind, current, previous, alpha=rule.significance, min_sample=rule.min_responses)
    figures = {
        **result.as_dict(),
        "window_days": rule.window_days,
        "baseline": rule.baseline,
        "baseline_from": base_start.isoformat(),
        "baseline_to": start.isoformat(),
    }
    outcome = {"status": "no change", "comparison": result.as_dict()}
    if not result.enough:
        return Finding(False, {**outcome, "status": "too few answers", "detail": result.reason})
    if not result.significant or (result.difference or 0) >= 0:
        detail = (
            f"{survey.kind.upper()} {result.current} against {result.previous}: "
            f"p = {result.p_value}, not a significant drop at {rule.significance}"
        )
        return Finding(False, {**outcome, "detail": detail})
    title = (
        f"{survey.kind.upper()} of “{survey.name}” fell from {result.previous} to {result.current} "
        f"({result.difference:+}, 95% CI {result.ci95[0]:+} to {result.ci95[1]:+}, p = {result.p_value})"
    )
    return Finding(
        True,
        {"status": "fired", "detail": title, "comparison": result.as_dict()},
        window_key=f"score_drop:{start.isoformat()}/{end.isoformat()}",
        window_from=day_start(start),
        window_to=day_start(end),
        title=title,
        figures=figures,
        p_value=result.p_value,
        difference=result.difference,
        ci95=list(result.ci95) if result.ci95 else None,
        examples=_quotes(session, rule, survey.kind, day_start(start), day_start(end)),
        evidence_path=evidence(survey.id, start, end - timedelta(days=1), segment=rule.segment_id),
    )


def spike(current: float, baseline: list[float], *, k: float, floor: float) -> dict:
    """Is ``current`` beyond ``k`` standard deviations above the mean of ``baseline``? The
    standard deviation is the baseline's sample one, but at least ``floor`` (a flat baseline
    would otherwise make any rise infinitely many deviations)."""
    mean = statistics.fmean(baseline) if baseline else 0.0
    sd = statistics.stdev(baseline) if len(baseline) > 1 else 0.0
    used = max(sd, floor)
    z = (current - mean) / used if used else math.inf
    return {
        "current": round(current, 4),
        "mean": round(mean, 4),
        "sd": round(sd, 4),
        "sd_used": round(used, 4),
        "z": round(z, 2),
        "threshold": round(mean + k * used, 4),
        "beyond": z > k,
    }


def theme_spike(session: Session, rule: AlertRule, now: datetime) -> Finding:
    survey, theme = session.get(Survey, rule.survey_id), session.get(Theme, rule.theme_id)
    end = now.date()
    weeks = rule.baseline_windows
    first = end - timedelta(days=7 * (weeks + 1))
    rows = session.execute(
        select(ThemeRollup.day, func.sum(ThemeRollup.mentions), func.sum(ThemeRollup.negative))
        .where(
            ThemeRollup.survey_id == rule.survey_id,
            ThemeRollup.theme_id == rule.theme_id,
            ThemeRollup.segment_key == (rule.segment_id or ""),
            ThemeRollup.day >= first,
            ThemeRollup.day < end,
        )
        .group_by(ThemeRollup.day)
    ).all()
    mentions, negative = [0] * (weeks + 1), [0] * (weeks + 1)
    for day, count, bad in rows:
        week = (end - day).days // 7  # 0: the last seven days
        mentions[week] += int(count or 0)
        negative[week] += int(bad or 0)
    if rule.measure == "mentions":
        values = [float(m) for m in mentions]
        floor = math.sqrt(max(statistics.fmean(values[1:]), 1.0))  # Poisson noise of a count
    else:
        values = [n / m if m else 0.0 for n, m in zip(negative, mentions, strict=True)]
        p = statistics.fmean(values[1:])
        floor = math.sqrt(max(p * (1 - p), 0.01) / max(mentions[0], 1))  # binomial noise of a share
    test = spike(values[0], values[1:], k=rule.k_sigma, floor=floor)
    figures = {
        **test,
        "measure": rule.measure,
        "mentions": mentions[0],
        "negative": negative[0],
        "weekly_mentions": mentions[1:],
        "k_sigma": rule.k_sigma,
        "theme": theme.name,
    }
    if mentions[0] < rule.min_responses:
        detail = (
            f"{mentions[0]} mentions in the last 7 days; "
            f"at least {rule.min_responses} are needed to call a spike"
        )
        return Finding(False, {"status": "too few mentions", "detail": detail, "figures": figures})
    if not test["beyond"]:
        detail = f"{rule.measure} {test['current']} within {rule.k_sigma} sd of {test['mean']}"
        return Finding(False, {"status": "no change", "detail": detail, "figures": figures})
    start = end - timedelta(days=7)
    what = "mentions" if rule.measure == "mentions" else "negative share"
    title = (
        f"“{theme.name}” {what} spiked on “{survey.name}”: {test['current']} against a weekly "
        f"{test['mean']} ± {test['sd_used']} ({test['z']} sd)"
    )
    # Quotes: answers whose words about this theme were negative, whatever their score.
    negative = select(ResponseTheme.response_id).where(
        ResponseTheme.theme_id == theme.id, ResponseTheme.sentiment_label == "negative"
    )
    quoted = _quotes(
        session, rule, None, day_start(start), day_start(end), extra=(Response.id.in_(negative),)
    )
    return Finding(
        True,
        {"status": "fired", "detail": title, "figures": figures},
        window_key=f"theme_spike:{start.isoformat()}/{end.isoformat()}",
        window_from=day_start(start),
        window_to=day_start(end),
        title=title,
        figures=figures,
        examples=quoted,
        evidence_path=evidence(
            survey.id, start, end - timedelta(days=1), theme=theme.id, segment=rule.segment_id
        ),
    )
