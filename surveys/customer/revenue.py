"""Revenue at risk and where revenue concentrates.

A customer's revenue is the number in the workspace's ``revenue_attribute`` (read totally:
:mod:`surveys.customer.numbers`) as of their profile. For a theme, segment or roadmap item,
``revenue`` is the revenue of the distinct customers whose answers fall in it, and
``revenue_at_risk`` that of those among them whose latest answer is at the unhappy end of its
scale (NPS detractor, CSAT dissatisfied, CES difficult) or who spoke negatively about the theme
(the item's themes).
"""

import math
from datetime import timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from surveys.analysis.models import ResponseTheme, Theme
from surveys.core.db import utcnow
from surveys.customer.models import CustomerProfile
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapLinkFact
from surveys.segment.models import Segment
from surveys.segment.service import segment_clause
from surveys.survey.scales import DETRACTOR_LEVEL


def _money(value) -> float:
    total = round(float(value or 0.0), 2)
    return int(total) if total.is_integer() else total


def _figures(per_customer) -> dict:
    """Sum (customer, negative) rows joined with their profiles into the figures."""
    p = CustomerProfile
    at_risk = per_customer.c.negative.is_(True) | p.latest_category.in_(DETRACTOR_LEVEL)
    return (
        func.count(),
        func.sum(p.revenue),
        func.sum(case((at_risk, 1), else_=0)),
        func.sum(case((at_risk, p.revenue), else_=0.0)),
    )


def figures_or_zero(found: dict | None) -> dict:
    """The fields added to a group or theme: ``revenue``, ``revenue_at_risk``, ``customers_at_risk``."""
    found = found or {}
    return {
        "revenue": found.get("revenue", 0),
        "revenue_at_risk": found.get("revenue_at_risk", 0),
        "customers_at_risk": found.get("customers_at_risk", 0),
    }


def _scope(query, *, workspace_id, survey_id, start, end, extra=()):
    query = query.where(Response.workspace_id == workspace_id, Response.contact_id.is_not(None), *extra)
    if survey_id:
        query = query.where(Response.survey_id == survey_id)
    if start:
        query = query.where(Response.submitted_at >= start)
    if end:
        query = query.where(Response.submitted_at < end)
    return query


def _grouped(session: Session, inner) -> dict:
    inner = inner.subquery()
    p = CustomerProfile
    rows = session.execute(
        select(inner.c.key, *_figures(inner))
        .join(p, p.contact_id == inner.c.contact_id)
        .group_by(inner.c.key)
    )
    return {
        key: {
            "customers": int(n),
            "revenue": _money(total),
            "customers_at_risk": int(risky or 0),
            "revenue_at_risk": _money(risk),
        }
        for key, n, total, risky, risk in rows
    }


def by_theme(
    session: Session, *, workspace_id: str, survey_id=None, start=None, end=None, where=None
) -> dict:
    """theme id -> figures of the customers who mentioned it (negative: about that theme)."""
    negative = func.max(case((ResponseTheme.sentiment_label == "negative", 1), else_=0)) == 1
    inner = _scope(
        select(ResponseTheme.theme_id.label("key"), Response.contact_id, negative.label("negative"))
        .join(Response, Response.id == ResponseTheme.response_id)
        .group_by(ResponseTheme.theme_id, Response.contact_id),
        workspace_id=workspace_id,
        survey_id=survey_id,
        start=start,
        end=end,
        extra=(() if where is None else (where,)),
    )
    return _grouped(session, inner)


def _negative_any():
    return (
        select(1)
        .select_from(ResponseTheme)
        .where(ResponseTheme.response_id == Response.id, ResponseTheme.sentiment_label == "negative")
        .exists()
    )


def by_attribute(
    session: Session, *, workspace_id: str, name: str, survey_id=None, start=None, end=None
) -> dict:
    """attribute value (as the metrics groups key it) -> figures; negative: about anything."""
    key = Response.attributes[name].as_string()
    negative = func.max(case((_negative_any(), 1), else_=0)) == 1
    inner = _scope(
        select(key.label("key"), Response.contact_id, negative.label("negative")).group_by(
            key, Response.contact_id
        ),
        workspace_id=workspace_id,
        survey_id=survey_id,
        start=start,
        end=end,
    )
    return _grouped(session, inner)


def by_segment(session: Session, *, workspace_id: str, survey_id=None, start=None, end=None) -> dict:
    """saved segment id -> figures of the customers whose answers fall in it."""
    found = {}
    negative = func.max(case((_negative_any(), 1), else_=0)) == 1
    for segment in session.execute(select(Segment).where(Segment.workspace_id == workspace_id)).scalars():
        inner = _scope(
            select(
                func.min(Response.id).label("key"), Response.contact_id, negative.label("negative")
            ).group_by(Response.contact_id),
            workspace_id=workspace_id,
            survey_id=survey_id,
            start=start,
            end=end,
            extra=(segment_clause(session, segment.conditions),),
        ).subquery()
        p = CustomerProfile
        n, total, risky, risk = session.execute(
            select(*_figures(inner)).select_from(inner).join(p, p.contact_id == inner.c.contact_id)
        ).one()
        found[segment.id] = {
            "customers": int(n or 0),
            "revenue": _money(total),
            "customers_at_risk": int(risky or 0),
            "revenue_at_risk": _money(risk),
        }
    return found


def by_roadmap_item(session: Session, *, workspace_id: str, item_ids: list[str]) -> dict:
    """item id -> figures of the customers linked to it; negative as in the item's impact (about one
    of its themes, or the whole comment when it names none of them: ``roadmap_link_facts.negative``).

    Reads the link facts the roadmap rollups keep (completed answers linked ``auto`` or
    ``manual``), not the links joined to answers and their themes: a page of items costs an index
    range per item instead of a pass over every linked answer (1.2 s for two items at 1M answers).
    """
    if not item_ids:
        return {}
    f = RoadmapLinkFact
    negative = func.max(case((f.negative.is_(True), 1), else_=0)) == 1
    inner = (
        select(f.item_id.label("key"), f.contact_id, negative.label("negative"))
        .where(f.item_id.in_(item_ids), f.workspace_id == workspace_id, f.contact_id.is_not(None))
        .group_by(f.item_id, f.contact_id)
    )
    return _grouped(session, inner)


def concentration(session: Session, *, workspace_id: str, top_share: float = 0.2, days: int = 90) -> dict:
    """Customers ranked by revenue: the share of revenue the top ``top_share`` carry, and that
    group's mean health, NPS of latest answers and top negative themes (last ``days``) beside
    everyone else's; ``pareto``: cumulative revenue share by customer rank (at most 101 points)."""
    p = CustomerProfile
    rows = session.execute(
        select(p.contact_id, p.revenue, p.health, p.latest_category)
        .where(p.workspace_id == workspace_id, p.revenue.is_not(None), p.revenue > 0)
        .order_by(p.revenue.desc(), p.contact_id)
    ).all()
    total = sum(r.revenue for r in rows)
    if not rows or total <= 0:
        return {"customers": 0, "revenue": 0, "top_share": top_share, "top": None, "rest": None, "pareto": []}
    top_n = max(1, math.ceil(len(rows) * top_share))
    groups = {"top": rows[:top_n], "rest": rows[top_n:]}
    since = utcnow() - timedelta(days=days)
    result = {"customers": len(rows), "revenue": _money(total), "top_share": top_share}
    for name, members in groups.items():
        result[name] = _group(session, workspace_id, members, total, since) if members else None
    running, pareto, step = 0.0, [{"customers": 0.0, "revenue": 0.0}], max(1, len(rows) // 100)
    for index, row in enumerate(rows, start=1):
        running += row.revenue
        if index % step == 0 or index == len(rows):
            pareto.append({"customers": round(index / len(rows), 4), "revenue": round(running / total, 4)})
    result["pareto"] = pareto
    return result


def _group(session: Session, workspace_id: str, members, total: float, since) -> dict:
    revenue = sum(m.revenue for m in members)
    healths = [m.health for m in members if m.health is not None]
    nps = [m.latest_category for m in members if m.latest_category in ("promoter", "passive", "detractor")]
    ids = [m.contact_id for m in members]
    themes: dict[str, int] = {}
    for start in range(0, len(ids), 5000):
        for name, count in session.execute(
            select(Theme.name, func.count(func.distinct(Response.contact_id)))
            .join(ResponseTheme, ResponseTheme.theme_id == Theme.id)
            .join(Response, and_(Response.id == ResponseTheme.response_id))
            .where(
                Response.contact_id.in_(ids[start : start + 5000]),
                Response.submitted_at >= since,
                ResponseTheme.sentiment_label == "negative",
            )
            .group_by(Theme.name)
        ):
            themes[name] = themes.get(name, 0) + int(count)
    top_themes = sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return {
        "customers": len(members),
        "revenue": _money(revenue),
        "revenue_share": round(revenue / total, 4),
        "mean_health": round(sum(healths) / len(healths), 1) if healths else None,
        "nps": round(100 * (nps.count("promoter") - nps.count("detractor")) / len(nps), 1) if nps else None,
        "nps_answers": len(nps),
        "negative_themes": [
            {"name": n, "customers": c, "share": round(c / len(members), 4)} for n, c in top_themes
        ],
    }
