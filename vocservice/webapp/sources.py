"""Where the web app's figures come from: the ``surveys`` services of the decide step (metrics,
segments, theme insights, roadmap) called directly, never over HTTP.

Every read the pages need goes through a function here, so each page stays a thin renderer
and a service change touches one place.
"""

from datetime import datetime

from sqlalchemy import func, select

from surveys.analysis.insights import emerging
from surveys.analysis.models import ResponseTheme
from surveys.core.db import db
from surveys.metrics.models import DailyRollup
from surveys.metrics.rollups import TOTAL
from surveys.metrics.service import compute_metrics
from surveys.metrics.theme_insights import theme_insights
from surveys.response.models import Response
from surveys.roadmap import rollups as roadmap_rollups
from surveys.roadmap.impact import ImpactFilters, ranked_items
from surveys.roadmap.models import LINKED, RoadmapLink, RoadmapLinkFact
from surveys.segment.models import Segment
from surveys.segment.service import filter_for, list_segments
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace

# Attribute names/values offered in pickers come from the newest answers: bounded cost.
SAMPLE = 2000


def segments(workspace_id: str) -> list[Segment]:
    return list_segments(db.session, workspace_id=workspace_id)


def segment_clause(workspace_id: str, segment_id: str):
    return filter_for(db.session, workspace_id=workspace_id, segment_id=segment_id)


def attribute_names(workspace_id: str) -> list[str]:
    rows = (
        db.session.execute(
            select(Response.attributes)
            .where(Response.workspace_id == workspace_id)
            .order_by(Response.id.desc())
            .limit(200)
        )
        .scalars()
        .all()
    )
    names = sorted(
        {
            k
            for attrs in rows
            for k, v in (attrs or {}).items()
            if isinstance(v, str | bool) and k.replace("_", "").replace("-", "").isalnum()
        }
    )
    return names or ["plan"]


def attribute_values(workspace_id: str, name: str) -> list[str]:
    if not name.replace("_", "").replace("-", "").isalnum():
        return []
    recent = (
        select(Response.attributes[name].as_string().label("v"))
        .where(Response.workspace_id == workspace_id)
        .order_by(Response.id.desc())
        .limit(SAMPLE)
        .subquery()
    )
    values = db.session.execute(select(recent.c.v).distinct().limit(50)).scalars().all()
    return sorted(v for v in values if v)


def default_survey(workspace_id: str) -> Survey | None:
    """The workspace's NPS survey with most answers (from the rollups: no scan), else the survey
    with most answers. Answers are counted only when there is a choice to make."""
    surveys = db.session.execute(select(Survey).where(Survey.workspace_id == workspace_id)).scalars().all()
    candidates = [s for s in surveys if s.kind == "nps"] or surveys
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    counts = dict(
        db.session.execute(
            select(DailyRollup.survey_id, func.sum(DailyRollup.responses))
            .where(
                DailyRollup.survey_id.in_([s.id for s in candidates]),
                DailyRollup.dim == TOTAL,
            )
            .group_by(DailyRollup.survey_id)
        ).all()
    )
    return max(candidates, key=lambda s: (counts.get(s.id) or 0, s.id))


def score(
    workspace_id: str, survey_id: str, start, end, group_by: str | None = None, segment_id: str | None = None
) -> dict:
    return compute_metrics(
        db.session,
        workspace_id=workspace_id,
        survey_id=survey_id,
        start=start,
        end=end,
        group_by=group_by,
        segment_id=segment_id or None,
    )


def change(workspace_id: str, survey_id: str, start, end) -> dict:
    """The range's score against the same-length period before: significant or within noise."""
    result = compute_metrics(
        db.session, workspace_id=workspace_id, survey_id=survey_id, start=start, end=end, compare=True
    )
    return result["overall"]["change"]


def emerging_phrases(workspace_id: str, survey_id: str, start, end) -> list[dict]:
    return emerging(
        db.session, workspace_id=workspace_id, survey_id=survey_id, start=start, end=end, limit=6
    ).items


def roadmap_ranked(
    workspace: Workspace,
    *,
    survey_id: str | None = None,
    start=None,
    end=None,
    status: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Roadmap items best first with their impact figures (:func:`surveys.roadmap.impact.ranked_items`,
    as the API's ``?sort=impact``)."""
    ranked = ranked_items(
        db.session,
        workspace=workspace,
        sort="impact",
        filters=ImpactFilters(survey_id=survey_id, start=start, end=end),
        status=status,
        limit=limit,
    )
    return [{"item": row.item, "impact": row.impact} for row in ranked.rows]


def intent_mix(intents: dict[str, int]) -> list[str]:
    """ "12 requests", "3 complaints", ...: a theme's mentions by what they want, most asked first."""
    return [
        f"{intents[k]} {k}{'s' if intents[k] != 1 and k != 'praise' else ''}"
        for k in ("request", "complaint", "question", "praise")
        if intents.get(k)
    ]


def themes(
    workspace_id: str, survey_id: str, start, end, segment_id: str | None = None, limit: int | None = 8
) -> list[dict]:
    """Themes by impact (most harmful first), shaped for the dashboard table (all when ``limit``
    is None)."""
    found = theme_insights(
        db.session,
        workspace_id=workspace_id,
        survey_id=survey_id,
        start=start,
        end=end,
        segment_id=segment_id or None,
    )
    rows = []
    for item in found["items"][:limit]:
        split = item["sentiment"]
        n = max(item["mentions"], 1)
        rows.append(
            {
                **item,
                "score_with": item["with_theme"]["score"],
                "score_without": item["without_theme"]["score"],
                "shares": {k: split[k] / n for k in ("positive", "neutral", "negative")},
                "intent_mix": intent_mix(item["intents"]),
            }
        )
    return rows


def by_intent(
    workspace_id: str, survey_id: str, start, end, themes: list[dict], intent: str, limit: int = 5
) -> list[dict]:
    """Themes with the most mentions of ``intent`` in the range (from their theme insights), each
    with one answer's comment as an example (the newest such mention's)."""
    ranked = sorted((t for t in themes if t["intents"][intent]), key=lambda t: -t["intents"][intent])
    rows = []
    for theme in ranked[:limit]:
        example = db.session.execute(
            select(Response.comment)
            .join(ResponseTheme, ResponseTheme.response_id == Response.id)
            .where(
                ResponseTheme.workspace_id == workspace_id,
                ResponseTheme.theme_id == theme["theme_id"],
                ResponseTheme.intent == intent,
                Response.survey_id == survey_id,
                Response.completed.is_(True),
                Response.submitted_at >= start,
                Response.submitted_at < end,
            )
            .order_by(Response.submitted_at.desc())
            .limit(1)
        ).scalar()
        rows.append(
            {
                "theme_id": theme["theme_id"],
                "name": theme["name"],
                "count": theme["intents"][intent],
                "example": example or "",
            }
        )
    return rows


def surveys(workspace_id: str) -> list[Survey]:
    return (
        db.session.execute(select(Survey).where(Survey.workspace_id == workspace_id).order_by(Survey.name))
        .scalars()
        .all()
    )


def theme_list(workspace_id: str) -> list:
    from surveys.analysis.themes import list_themes

    return list_themes(db.session, workspace_id=workspace_id)


# The headline looks for an item among this many of the period's newest linked answers.
RECENT_LINKS = 5000


def item_for_theme(
    ranked: list[dict], theme_id: str, *, survey_id: str, start: datetime, end: datetime
) -> dict | None:
    """The ranked roadmap row that addresses a theme: one naming it, else the item whose linked
    feedback of the survey and period carries the theme most often (items matched by keyword
    still count), among the period's :data:`RECENT_LINKS` newest linked answers: the link
    facts the roadmap rollups keep, read newest first from their (survey, time) index, so the
    look-up costs the same at 10M answers as at 10,000."""
    named = next((row for row in ranked if theme_id in row["item"].theme_ids), None)
    if named is not None or not ranked:
        return named
    by_id = {row["item"].id: row for row in ranked}
    if roadmap_rollups.ready(db.session):
        recent = (
            select(RoadmapLinkFact.item_id, RoadmapLinkFact.response_id)
            .where(
                RoadmapLinkFact.survey_id == survey_id,
                RoadmapLinkFact.submitted_at >= start,
                RoadmapLinkFact.submitted_at < end,
                RoadmapLinkFact.item_id.in_(list(by_id)),
            )
            .order_by(RoadmapLinkFact.submitted_at.desc())
            .limit(RECENT_LINKS)
            .subquery()
        )
        item, response = recent.c.item_id, recent.c.response_id
    else:  # links stored before the rollups existed: the links themselves until the rebuild
        item, response = RoadmapLink.item_id, RoadmapLink.response_id
    query = (
        select(item, func.count().label("n"))
        .join(ResponseTheme, (ResponseTheme.response_id == response) & (ResponseTheme.theme_id == theme_id))
        .group_by(item)
        .order_by(func.count().desc(), item)
        .limit(1)
    )
    if item is RoadmapLink.item_id:
        query = query.join(Response, Response.id == RoadmapLink.response_id).where(
            RoadmapLink.item_id.in_(list(by_id)),
            RoadmapLink.source.in_(LINKED),
            Response.survey_id == survey_id,
            Response.submitted_at >= start,
            Response.submitted_at < end,
        )
    found = db.session.execute(query).first()
    return by_id[found[0]] if found else None
