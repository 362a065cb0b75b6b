"""Theme insights (key drivers): per theme, how often it is mentioned, how people feel about it,
the survey's score among answers with and without it, and what it costs the overall score.

impact = overall score - score of the answers *without* the theme, in points (for CES, in scale
units): a theme whose mentions drag NPS down has a negative impact, and the list starts there.
``intents`` counts the mentions by what they want (request, complaint, question, praise; "other"
is the rest, including mentions analysed before intents existed), so a theme customers mostly
ask things of does not read as praised; with ``intent`` only themes with such mentions are
listed, most such mentions first ("what do customers ask for").
Whole days come from ``theme_rollups`` (when they are up to date; for a saved segment, from its
own rows there); everything else from ``response_themes`` joined to the responses.
"""

from datetime import datetime

from sqlalchemy import Date, case, cast, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from surveys.analysis.models import ResponseTheme, Theme
from surveys.core.db import is_postgres
from surveys.metrics.models import INTENT_COLUMNS, SCORE_COLUMNS, ThemeRollup
from surveys.metrics.rollups import Bucket, as_date, counted, day_expr, split_range
from surveys.metrics.service import buckets, period_key, query_scope, summarize
from surveys.metrics.theme_rollups import is_fresh
from surveys.response.models import Response

_SUMS = (
    "mentions",
    "positive",
    "neutral",
    "negative",
    "compound_sum",
    *INTENT_COLUMNS.values(),
    *SCORE_COLUMNS,
)
OTHER = "other"


def _period(session: Session, column, interval: str):
    if is_postgres(session):
        return cast(func.date_trunc(literal_column(f"'{interval}'"), column), Date)
    if interval == "week":
        return func.date(column, "-6 days", "weekday 1")  # the Monday on or before
    return func.strftime("%Y-%m-01", column)


def _raw_rows(session: Session, *, survey_id: str, start, end, where):
    label = ResponseTheme.sentiment_label
    query = counted(
        select(
            ResponseTheme.theme_id.label("theme_id"),
            day_expr(session).label("day"),
            func.count().label("mentions"),
            *[
                func.sum(case((label == name, 1), else_=0)).label(name)
                for name in ("positive", "neutral", "negative")
            ],
            func.sum(ResponseTheme.sentiment_compound).label("compound_sum"),
            *[
                func.sum(case((ResponseTheme.intent == intent, 1), else_=0)).label(column)
                for intent, column in INTENT_COLUMNS.items()
            ],
            *[func.sum(case((Response.score == v, 1), else_=0)).label(f"s{v}") for v in range(11)],
        )
        .join(ResponseTheme, ResponseTheme.response_id == Response.id)
        .where(Response.survey_id == survey_id, *where)
    )
    if start is not None:
        query = query.where(Response.submitted_at >= start)
    if end is not None:
        query = query.where(Response.submitted_at < end)
    return query.group_by(ResponseTheme.theme_id, day_expr(session))


def _rollup_rows(*, survey_id: str, days, segment_key: str = ""):
    query = select(
        ThemeRollup.theme_id.label("theme_id"),
        ThemeRollup.day.label("day"),
        *[getattr(ThemeRollup, name).label(name) for name in _SUMS],
    ).where(ThemeRollup.survey_id == survey_id, ThemeRollup.segment_key == segment_key)
    if days[0] is not None:
        query = query.where(ThemeRollup.day >= days[0])
    if days[1] is not None:
        query = query.where(ThemeRollup.day < days[1])
    return query


def _theme_source(
    session: Session, *, survey_id: str, start, end, where, rollups: bool, segment_key: str | None = ""
):
    """``segment_key``: "" for all answers, a segment's id when its rows are kept, None when
    ``where`` has no rows of its own in the rollups."""
    if not rollups or segment_key is None or not is_fresh(session):
        return _raw_rows(session, survey_id=survey_id, start=start, end=end, where=where), "raw"
    days, raw_ranges = split_range(start, end)
    parts = [] if days is None else [_rollup_rows(survey_id=survey_id, days=days, segment_key=segment_key)]
    parts += [
        _raw_rows(session, survey_id=survey_id, start=low, end=high, where=where) for low, high in raw_ranges
    ]
    source = "rollups" if not raw_ranges else "mixed"
    return (parts[0] if len(parts) == 1 else union_all(*parts)), source


def mean_compound(compound_sum: float, mentions: int) -> float:
    """The mean VADER compound of a theme's mentions, to 4 places, from their sum.

    The sum is rounded first: rollups and raw rows add the same compounds in a different order,
    and the last bits of a float sum would otherwise decide a mean on a rounding boundary
    (-1.3 / 16 = -0.08125). Compounds have 4 places, so their exact sum has 4 too: rounding to 6
    drops only the error of adding them as floats."""
    return round(round(compound_sum, 6) / mentions, 4)


def theme_insights(
    session: Session,
    *,
    workspace_id: str,
    survey_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    segment_id: str | None = None,
    interval: str = "month",
    intent: str | None = None,
    rollups: bool = True,
) -> dict:
    survey, where, _, filter_dim = query_scope(
        session, workspace_id=workspace_id, survey_id=survey_id, segment_id=segment_id, rollups=rollups
    )
    periods, _ = buckets(
        session,
        survey_id=survey.id,
        start=start,
        end=end,
        group_by=interval,
        where=where,
        rollups=rollups,
        filter_dim=filter_dim,
    )
    overall = Bucket()
    for bucket in periods.values():
        overall.add(bucket)
    overall_summary = summarize(survey.kind, overall)

    source_query, source = _theme_source(
        session,
        survey_id=survey.id,
        start=start,
        end=end,
        where=where,
        rollups=rollups,
        segment_key=(segment_id if filter_dim else None) if where else "",
    )
    rows = source_query.subquery()
    totals = session.execute(
        select(rows.c.theme_id, *[func.sum(rows.c[n]) for n in _SUMS]).group_by(rows.c.theme_id)
    ).all()
    period = _period(session, rows.c.day, interval)
    trend: dict[str, dict[str, int]] = {}
    for theme_id, when, mentions in session.execute(
        select(rows.c.theme_id, period, func.sum(rows.c.mentions)).group_by(rows.c.theme_id, period)
    ):
        key = period_key(as_date(when), interval)
        trend.setdefault(theme_id, {})[key] = trend.get(theme_id, {}).get(key, 0) + int(mentions)
    names = dict(
        session.execute(select(Theme.id, Theme.name).where(Theme.workspace_id == workspace_id)).all()
    )

    items = []
    for row in totals:
        theme_id, sums = row[0], dict(zip(_SUMS, row[1:], strict=True))
        compound = float(sums["compound_sum"] or 0)
        # SUM over integers is NUMERIC on PostgreSQL: back to plain ints.
        mentions, positive, neutral, negative = (
            int(sums[n] or 0) for n in ("mentions", "positive", "neutral", "negative")
        )
        if not mentions:
            continue
        intents = {name: int(sums[column] or 0) for name, column in INTENT_COLUMNS.items()}
        intents[OTHER] = mentions - sum(intents.values())
        if intent is not None and not intents[intent]:
            continue
        with_theme = Bucket(counts=[int(sums[n] or 0) for n in SCORE_COLUMNS])
        without = Bucket(counts=list(overall.counts))
        without.add(with_theme, sign=-1)
        with_summary, without_summary = summarize(survey.kind, with_theme), summarize(survey.kind, without)
        impact = None
        if overall_summary["score"] is not None and without_summary["score"] is not None:
            impact = round(overall_summary["score"] - without_summary["score"], 2)
        items.append(
            {
                "theme_id": theme_id,
                "name": names.get(theme_id),
                "mentions": mentions,
                "share": round(mentions / overall.commented, 4) if overall.commented else None,
                "sentiment": {
                    "positive": int(positive),
                    "neutral": int(neutral),
                    "negative": int(negative),
                    "mean_compound": mean_compound(compound, mentions),
                },
                "intents": intents,
                "with_theme": with_summary,
                "without_theme": without_summary,
                "impact": impact,
                "trend": [
                    {
                        "period": key,
                        "mentions": count,
                        "share": round(count / periods[key].commented, 4)
                        if key in periods and periods[key].commented
                        else None,
                    }
                    for key, count in sorted(trend.get(theme_id, {}).items())
                ],
            }
        )
    # Theme id last: themes tied on impact and mentions keep one order whichever source answered.
    items.sort(key=lambda i: (i["impact"] is None, i["impact"] or 0, -i["mentions"], i["theme_id"]))
    if intent is not None:  # stable: ties on the count keep the impact order
        items.sort(key=lambda i: -i["intents"][intent])
    return {
        "survey_id": survey.id,
        "kind": survey.kind,
        "segment_id": segment_id,
        "interval": interval,
        "intent": intent,
        "overall": overall_summary,
        "commented": overall.commented,
        "items": items,
        "source": source,
    }
