"""What is behind each roadmap item: how many responses ask for it, how many of them are
detractors, how many distinct customers, how much revenue those customers carry, and the share of
the linked feedback that is negative.

All figures count ``auto`` and ``manual`` links only, over completed responses, optionally
filtered by survey, time window and saved segment. Two grouped queries per call, whatever the
number of items: counts and negative share by (item, survey kind, score), and each customer's
latest linked snapshot of the revenue attribute (which also counts the distinct customers).

- detractors: ``surveys.survey.scales.category`` says detractor (NPS 0-6), dissatisfied (CSAT 1-2) or
  difficult (CES 1-3);
- revenue: the workspace's ``revenue_attribute`` (default ``arr``) from the attribute snapshot of
  each customer's latest linked response, counted once per customer; values that are not numbers
  (:func:`surveys.core.values.as_number`: booleans, objects, NaN, beyond ±(2**53 - 1)) count 0;
- negative_share: a response counts as negative when its sentiment for one of the item's themes is
  negative, or, when it carries none of them (linked by keyword or by hand), its overall sentiment.

:func:`ranked_items` orders a workspace's items by these figures, for the API's ``?sort=`` list and
the web app's roadmap and dashboard alike.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from nlp import ANALYZER_VERSION
from surveys.analysis.models import Analysis
from surveys.response.models import Response
from surveys.roadmap import rollups
from surveys.roadmap.figures import NEGATIVE_CATEGORIES, negative_flag, revenue_number
from surveys.roadmap.models import LINKED, RoadmapItem, RoadmapLink
from surveys.survey.models import Survey
from surveys.survey.scales import category
from surveys.workspace.models import Workspace


@dataclass(frozen=True)
class RankedItem:
    item: RoadmapItem
    impact: dict


@dataclass(frozen=True)
class RankedPage:
    rows: list[RankedItem]
    total: int  # items ranked (before slicing)

    def next_offset(self, offset: int, limit: int) -> int | None:
        return offset + limit if offset + limit < self.total else None


@dataclass(frozen=True)
class ImpactFilters:
    survey_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    segment_id: str | None = None


def _conditions(session: Session, workspace: Workspace, item_ids: list[str], filters: ImpactFilters) -> list:
    conditions = [
        RoadmapLink.item_id.in_(item_ids),
        RoadmapLink.source.in_(LINKED),
        Response.workspace_id == workspace.id,
        Response.completed.is_(True),
    ]
    if filters.survey_id:
        conditions.append(Response.survey_id == filters.survey_id)
    if filters.start:
        conditions.append(Response.submitted_at >= filters.start)
    if filters.end:
        conditions.append(Response.submitted_at < filters.end)
    if filters.segment_id:
        from surveys.segment.service import filter_for

        conditions.append(filter_for(session, workspace_id=workspace.id, segment_id=filters.segment_id))
    return conditions


def _empty() -> dict:
    return {"responses": 0, "detractors": 0, "customers": 0, "revenue": 0, "negative_share": None}


def compute_impact(
    session: Session, *, workspace: Workspace, item_ids: list[str], filters: ImpactFilters | None = None
) -> dict[str, dict]:
    """Impact figures per item id (every id given gets an entry, zero when nothing is linked)."""
    result = {item_id: _empty() for item_id in item_ids}
    if not item_ids:
        return result
    where = _conditions(session, workspace, item_ids, filters or ImpactFilters())
    base = select().select_from(RoadmapLink).join(Response, Response.id == RoadmapLink.response_id)
    negatives: dict[str, int] = {}
    counts = (
        base.join(Survey, Survey.id == Response.survey_id)
        .outerjoin(
            Analysis, and_(Analysis.response_id == Response.id, Analysis.analyzer_version == ANALYZER_VERSION)
        )
        .add_columns(
            RoadmapLink.item_id,
            Survey.kind,
            Response.score,
            func.count().label("n"),
            func.sum(negative_flag()).label("negative"),
        )
        .where(*where)
        .group_by(RoadmapLink.item_id, Survey.kind, Response.score)
    )
    for row in session.execute(counts):
        figures = result[row.item_id]
        figures["responses"] += row.n
        if category(row.kind, row.score) in NEGATIVE_CATEGORIES:
            figures["detractors"] += row.n
        negatives[row.item_id] = negatives.get(row.item_id, 0) + int(row.negative or 0)
    for item_id, figures in result.items():
        if figures["responses"]:
            figures["negative_share"] = round(negatives[item_id] / figures["responses"], 4)

    latest = (
        base.add_columns(
            RoadmapLink.item_id.label("item_id"),
            Response.attributes[workspace.revenue_attribute or "arr"].label("value"),
            func.row_number()
            .over(
                partition_by=(RoadmapLink.item_id, Response.contact_id),
                order_by=(Response.submitted_at.desc(), Response.id.desc()),
            )
            .label("rank"),
        )
        .where(*where, Response.contact_id.is_not(None))
        .subquery()
    )
    # One row per (item, customer): it gives both the distinct customers and their revenue,
    # so the links are scanned twice per call, not three times.
    revenue: dict[str, float] = {}
    for item_id, value in session.execute(select(latest.c.item_id, latest.c.value).where(latest.c.rank == 1)):
        result[item_id]["customers"] += 1
        revenue[item_id] = revenue.get(item_id, 0.0) + revenue_number(value)
    for item_id, total in revenue.items():
        total = round(total, 2)
        result[item_id]["revenue"] = int(total) if total.is_integer() else total
    return result


def rank(impacts: dict[str, dict], sort: str) -> list[str]:
    """Item ids best first. ``impact`` blends detractors and revenue, each relative to the top
    item, so an item ranks high if it hurts many customers or a lot of revenue."""
    top_detractors = max((f["detractors"] for f in impacts.values()), default=0) or 1
    top_revenue = max((f["revenue"] for f in impacts.values()), default=0) or 1
    for figures in impacts.values():
        figures["score"] = round(
            0.5 * figures["detractors"] / top_detractors + 0.5 * figures["revenue"] / top_revenue, 4
        )
    # ``impact`` orders by the unrounded blend (the rollups' SQL ordering computes the same
    # floating-point expression), the other keys by the figures as shown.
    keys = {
        item_id: 0.5 * f["detractors"] / top_detractors + 0.5 * f["revenue"] / top_revenue
        if sort == "impact"
        else (f[sort] or 0)
        for item_id, f in impacts.items()
    }
    # Ties (and items without feedback) keep a stable, newest-first order.
    by_id = sorted(impacts, reverse=True)
    return sorted(by_id, key=lambda item_id: -keys[item_id])


def score(figures: dict, top_detractors, top_revenue) -> float:
    return round(
        0.5 * figures["detractors"] / (top_detractors or 1) + 0.5 * figures["revenue"] / (top_revenue or 1), 4
    )


def impact(
    session: Session, *, workspace: Workspace, item_ids: list[str], filters: ImpactFilters | None = None
) -> dict[str, dict]:
    """The same figures as :func:`compute_impact`, read from the rollups
    (:mod:`surveys.roadmap.rollups`) when they can answer: no filter (per-item totals) or a survey
    and/or time window (the link facts of that window). A saved segment, or rollups still waiting
    for their first rebuild, take the exact computation over the raw rows."""
    filters = filters or ImpactFilters()
    if filters.segment_id or not rollups.ready(session):
        return compute_impact(session, workspace=workspace, item_ids=item_ids, filters=filters)
    if not (filters.survey_id or filters.start or filters.end):
        return rollups.totals(session, item_ids=item_ids)
    return rollups.filtered(session, workspace_id=workspace.id, item_ids=item_ids, filters=filters)


def ranked_items(
    session: Session,
    *,
    workspace: Workspace,
    sort: str = "impact",
    filters: ImpactFilters | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> RankedPage:
    """The workspace's roadmap items (of one ``status`` if given) best first by ``sort`` (see
    :func:`rank`), with their impact figures, sliced ``[offset:offset + limit]``.

    Without filters the order comes from the per-item rollup totals in the database and only the
    slice's figures are read (:func:`surveys.roadmap.rollups.ranked_ids`); with filters the
    figures of every item are computed (:func:`impact`: from the link facts, or the raw rows for a
    segment), since scores are relative to the top item. Only the items of the slice are loaded."""
    filters = filters or ImpactFilters()
    if filters == ImpactFilters() and rollups.ready(session):
        window, total, tops = rollups.ranked_ids(
            session, workspace_id=workspace.id, sort=sort, status=status, offset=offset, limit=limit
        )
        impacts = rollups.totals(session, item_ids=window)
        for figures in impacts.values():
            figures["score"] = score(figures, *tops)
        found = (
            session.execute(select(RoadmapItem).where(RoadmapItem.id.in_(window))).scalars() if window else ()
        )
        items = {item.id: item for item in found}
        return RankedPage(rows=[RankedItem(item=items[i], impact=impacts[i]) for i in window], total=total)
    query = select(RoadmapItem.id).where(RoadmapItem.workspace_id == workspace.id)
    if status:
        query = query.where(RoadmapItem.status == status)
    ids = list(session.execute(query).scalars())
    impacts = impact(session, workspace=workspace, item_ids=ids, filters=filters)
    ordered = rank(impacts, sort)
    window = ordered[offset:] if limit is None else ordered[offset : offset + limit]
    total = len(ids)
    found = session.execute(select(RoadmapItem).where(RoadmapItem.id.in_(window))).scalars() if window else ()
    items = {item.id: item for item in found}
    return RankedPage(rows=[RankedItem(item=items[i], impact=impacts[i]) for i in window], total=total)
