"""Did shipping help? A shipped item's customers before and after, beside everyone else.

The **linked customers** are the contacts with an answer linked to the item (automatically or by
hand) submitted before it shipped. For them, and for a **comparison group** (every other contact
who answered in the same windows), each survey's score in the window before shipping is compared
with the window after it, and so is the share of negative mentions of each of the item's themes.
Every change, its 95% interval and whether it is significant come from
:func:`surveys.metrics.significance.compare` (the score kind's own test; a theme's negative share
is a proportion, so it takes the two-proportion z test). Too few answers in either window is
said as such, never drawn as a change. A PM reads the linked group's change against the
comparison group's: an improvement only among linked customers points at the shipped change.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from surveys.analysis.models import ResponseTheme, Theme
from surveys.core.db import utcnow
from surveys.core.errors import Conflict
from surveys.metrics.rollups import Bucket, counted
from surveys.metrics.significance import Comparison, compare
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapItem, RoadmapLinkFact
from surveys.survey.models import Survey

DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 365
GROUPS = ("linked", "comparison")
# A lower figure is the better one for these (CES counts effort; a negative share complaints).
LOWER_IS_BETTER = {"ces", "negative_share"}


@dataclass(frozen=True)
class Windows:
    shipped_at: datetime
    before_from: datetime
    after_to: datetime


def _windows(item: RoadmapItem, window_days: int, now: datetime) -> Windows:
    if item.status != "shipped" or item.shipped_at is None:
        raise Conflict(
            f"Roadmap item {item.id} is not shipped yet (status {item.status!r}): "
            "its outcome is measured from the moment it ships."
        )
    span = timedelta(days=window_days)
    return Windows(
        shipped_at=item.shipped_at,
        before_from=item.shipped_at - span,
        after_to=min(now, item.shipped_at + span),
    )


def linked_contacts(item: RoadmapItem):
    """The contacts whose feedback linked to the item was given before it shipped (a subquery)."""
    return (
        select(RoadmapLinkFact.contact_id)
        .where(
            RoadmapLinkFact.item_id == item.id,
            RoadmapLinkFact.contact_id.is_not(None),
            RoadmapLinkFact.submitted_at < item.shipped_at,
        )
        .distinct()
    )


def _group_condition(item: RoadmapItem, group: str):
    cohort = Response.contact_id.in_(linked_contacts(item))
    return cohort if group == "linked" else and_(Response.contact_id.is_not(None), ~cohort)


def _score_buckets(session: Session, item: RoadmapItem, windows: Windows, group: str) -> dict:
    """{(survey_id, after?): Bucket} of the group's answers in the two windows."""
    after = Response.submitted_at >= windows.shipped_at
    query = counted(
        select(Response.survey_id, after, Response.score, func.count()).where(
            Response.workspace_id == item.workspace_id,
            Response.submitted_at >= windows.before_from,
            Response.submitted_at < windows.after_to,
            _group_condition(item, group),
        )
    ).group_by(Response.survey_id, after, Response.score)
    buckets: dict = {}
    for survey_id, is_after, score, count in session.execute(query):
        buckets.setdefault((survey_id, bool(is_after)), Bucket()).counts[score] += count
    return buckets


def _theme_buckets(session: Session, item: RoadmapItem, windows: Windows, group: str) -> dict:
    """{(theme_id, after?): Bucket} where 5 counts negative mentions and 1 the others, so the
    two-proportion test of :func:`compare` ("csat") tests the negative share."""
    if not item.theme_ids:
        return {}
    after = Response.submitted_at >= windows.shipped_at
    negative = ResponseTheme.sentiment_label == "negative"
    query = (
        select(ResponseTheme.theme_id, after, negative, func.count())
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(
            ResponseTheme.workspace_id == item.workspace_id,
            ResponseTheme.theme_id.in_(item.theme_ids),
            Response.completed.is_(True),
            Response.submitted_at >= windows.before_from,
            Response.submitted_at < windows.after_to,
            _group_condition(item, group),
        )
        .group_by(ResponseTheme.theme_id, after, negative)
    )
    buckets: dict = {}
    for theme_id, is_after, is_negative, count in session.execute(query):
        buckets.setdefault((theme_id, bool(is_after)), Bucket()).counts[5 if is_negative else 1] += count
    return buckets


def verdict(comparison: Comparison, measure: str) -> str:
    """One short sentence a PM can read: improved, worsened, no significant change, or why
    nothing can be concluded."""
    if not comparison.enough:
        return comparison.reason or "too few answers to conclude"
    if not comparison.significant:
        return "no significant change"
    better = (
        (comparison.difference or 0) < 0 if measure in LOWER_IS_BETTER else (comparison.difference or 0) > 0
    )
    return "improved (significant)" if better else "worsened (significant)"


def _figures(comparison: Comparison, measure: str) -> dict:
    data = comparison.as_dict()
    # compare() speaks of "current" and "previous": here they are after and before shipping.
    return {
        "before": data["previous"],
        "after": data["current"],
        "difference": data["difference"],
        "ci95": data["ci95"],
        "p_value": data["p_value"],
        "n_before": data["n_previous"],
        "n_after": data["n_current"],
        "test": data["test"],
        "enough": data["enough"],
        "significant": data["significant"],
        "reason": data["reason"],
        "verdict": verdict(comparison, measure),
    }


def _customers(session: Session, item: RoadmapItem, windows: Windows, group: str) -> int:
    query = counted(
        select(func.count(func.distinct(Response.contact_id))).where(
            Response.workspace_id == item.workspace_id,
            Response.submitted_at >= windows.before_from,
            Response.submitted_at < windows.after_to,
            _group_condition(item, group),
        )
    )
    return int(session.execute(query).scalar() or 0)


def outcome(
    session: Session,
    *,
    item: RoadmapItem,
    window_days: int = DEFAULT_WINDOW_DAYS,
    alpha: float = 0.05,
    now: datetime | None = None,
) -> dict:
    """The item's outcome (see the module docstring); Conflict when it is not shipped."""
    now = now or utcnow()
    windows = _windows(item, window_days, now)
    scores = {group: _score_buckets(session, item, windows, group) for group in GROUPS}
    themes = {group: _theme_buckets(session, item, windows, group) for group in GROUPS}
    survey_ids = sorted({survey_id for (survey_id, _after) in scores["linked"]})
    surveys = {s.id: s for s in session.execute(select(Survey).where(Survey.id.in_(survey_ids))).scalars()}
    names = dict(
        session.execute(select(Theme.id, Theme.name).where(Theme.id.in_(item.theme_ids or []))).all()
    )

    def pair(buckets: dict, key: str, kind: str, measure: str) -> dict:
        before, after = buckets.get((key, False), Bucket()), buckets.get((key, True), Bucket())
        return _figures(compare(kind, after, before, alpha=alpha), measure)

    score_rows = []
    for survey_id in survey_ids:
        survey = surveys[survey_id]
        score_rows.append(
            {
                "survey_id": survey.id,
                "survey_name": survey.name,
                "kind": survey.kind,
                **{group: pair(scores[group], survey_id, survey.kind, survey.kind) for group in GROUPS},
            }
        )
    theme_rows = [
        {
            "theme_id": theme_id,
            "name": names.get(theme_id, theme_id),
            "measure": "negative share of mentions (%)",
            **{group: pair(themes[group], theme_id, "csat", "negative_share") for group in GROUPS},
        }
        for theme_id in item.theme_ids
        if theme_id in names
    ]
    return {
        "item": {"id": item.id, "title": item.title, "status": item.status, "shipped_at": item.shipped_at},
        "window_days": window_days,
        "alpha": alpha,
        "before": {"start": windows.before_from, "end": windows.shipped_at},
        "after": {"start": windows.shipped_at, "end": windows.after_to},
        "customers": {group: _customers(session, item, windows, group) for group in GROUPS},
        "scores": score_rows,
        "themes": theme_rows,
    }
