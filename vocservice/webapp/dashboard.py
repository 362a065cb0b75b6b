"""The dashboard (``/app``): one survey over a date range: its score with the 95% interval,
the weekly trend, scores by segment and by an attribute, what customers ask for and what they
complain about (themes by request and complaint mentions), themes ranked by impact with their
intent mix, emerging phrases and the roadmap items that would help most. Server time goes out
as ``Server-Timing``.
"""

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from flask import g, redirect, render_template, request, url_for

from surveys.case.stats import case_stats
from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.customer import revenue
from surveys.customer.service import summary as customer_summary
from surveys.metrics.funnel import funnel
from surveys.survey.service import get_survey
from vocservice.webapp import bp, charts, sources
from vocservice.webapp.filters import ATTRIBUTE_NAME_MAX, parse_day

DEFAULT_DAYS = 90
MAX_DAYS = 3660  # ten years of daily points is already more than a chart can show


def _day(name: str, default: date) -> date:
    raw = (request.args.get(name) or "").strip()
    return parse_day(raw, name) if raw else default


def _range() -> tuple[date, date, datetime, datetime]:
    today = datetime.now(UTC).date()
    first, last = _day("from", today - timedelta(days=DEFAULT_DAYS - 1)), _day("to", today)
    if first > last:
        raise Invalid("'from' must not be after 'to'.", errors={"from": ["after 'to'"]})
    if (last - first).days >= MAX_DAYS:
        raise Invalid(
            f"The dashboard shows at most {MAX_DAYS:,} days at once: narrow 'from' and 'to'.",
            errors={"from": [f"more than {MAX_DAYS} days before 'to'"]},
        )
    # The "to" day is included: the range ends at the next midnight.
    return (
        first,
        last,
        datetime.combine(first, clock(), UTC),
        datetime.combine(last + timedelta(days=1), clock(), UTC),
    )


def _attribute() -> str:
    name = (request.args.get("attribute") or "plan").strip()[:ATTRIBUTE_NAME_MAX]
    if not name.replace("_", "").replace("-", "").isalnum():
        raise Invalid(
            "Attribute names are letters, digits, '-' and '_'.", errors={"attribute": ["invalid name"]}
        )
    return name


def _labelled(groups: list[dict], label_key: str = "label") -> list[dict]:
    return [
        {
            **group,
            "label": group.get(label_key) or group.get("key") or "(none)",
            "small": group.get("small_sample"),
        }
        for group in groups
    ]


def _headline(
    workspace_id: str,
    survey,
    start,
    end,
    overall: dict,
    segments: list[dict],
    themes: list[dict],
    ranked: list[dict],
) -> dict | None:
    """One sentence that tells the story: the weakest saved segment, the theme that drags it
    down most, and the roadmap item that addresses that theme."""
    kind, label = survey.kind, survey.kind.upper()
    scored = [s for s in segments if s["score"] is not None and not s["small_sample"]]
    weakest = min(scored, key=lambda s: s["score"], default=None)
    if weakest is not None and overall["score"] is not None and weakest["score"] < overall["score"]:
        themes = sources.themes(workspace_id, survey.id, start, end, segment_id=weakest["key"])
    else:
        weakest = None
    worst = next((t for t in themes if (t["impact"] or 0) < 0), None)
    if worst is None:
        return None
    parts = []
    if weakest is not None:
        parts.append(
            f"Customers in “{weakest['label']}” score {charts.fmt(kind, weakest['score'])}"
            f" against {charts.fmt(kind, overall['score'])} overall."
        )
        whose = "their"
    else:
        whose = "the"
    parts.append(
        f"“{worst['name']}” comes up in {worst['mentions']} of {whose} answers and "
        f"costs {whose} {label} {abs(worst['impact']):.1f} points."
    )
    row = sources.item_for_theme(ranked, worst["theme_id"], survey_id=survey.id, start=start, end=end)
    if row is not None:
        impact = row["impact"]
        parts.append(
            f"Roadmap item “{row['item'].title}” ({row['item'].status.replace('_', ' ')}) "
            f"addresses it: {impact['detractors']} detractors and "
            f"{impact['revenue']:,.0f} in revenue are behind it."
        )
    return {
        "text": " ".join(parts),
        "theme_id": worst["theme_id"],
        "item": row["item"] if row else None,
        "category": "detractor" if kind == "nps" else "",
        "segment_id": weakest["key"] if weakest else "",
    }


def _partial(week: str, start: datetime, cut: datetime) -> bool:
    """The week (its Monday) is cut by the range or is still under way."""
    monday = datetime.combine(date.fromisoformat(week), clock(), UTC)
    return monday < start or monday + timedelta(days=7) > cut


@bp.get("/")
def dashboard_slash():
    # The query string is passed on as is: url_for(**request.args) would take keys such as
    # _external or endpoint as its own arguments.
    query = request.query_string.decode("latin-1")
    return redirect(url_for("webapp.dashboard") + (f"?{query}" if query else ""))


@bp.get("")
def dashboard():
    started = time.perf_counter()
    workspace = g.workspace
    survey_id = (request.args.get("survey") or "").strip()
    survey = (
        get_survey(db.session, workspace_id=workspace.id, survey_id=survey_id, field="survey_id")
        if survey_id
        else sources.default_survey(workspace.id)
    )
    first, last, start, end = _range()
    attribute = _attribute()
    context = {
        "survey": survey,
        "first": first,
        "last": last,
        "attribute": attribute,
        "surveys": sources.surveys(workspace.id),
        "attributes": sources.attribute_names(workspace.id),
    }
    if survey is not None:
        kind = survey.kind
        overall = sources.score(workspace.id, survey.id, start, end)["overall"]
        weekly = sources.score(workspace.id, survey.id, start, end, group_by="week")["groups"]
        cut = min(end, datetime.now(UTC))
        points = [
            {
                "label": g_["key"],
                "score": g_["score"],
                "ci95": g_["ci95"],
                "responses": g_["responses"],
                "small": g_["small_sample"],
                "partial": _partial(g_["key"], start, cut),
            }
            for g_ in weekly
        ]
        change = sources.change(workspace.id, survey.id, start, end)
        by_segment = sources.score(workspace.id, survey.id, start, end, group_by="segment")
        by_attribute = sources.score(workspace.id, survey.id, start, end, group_by=f"attributes.{attribute}")
        segment_bars, segment_zero = charts.bars(_labelled(by_segment["groups"]), kind)
        attribute_bars, attribute_zero = charts.bars(
            _labelled(sorted(by_attribute["groups"], key=lambda x: str(x["key"]))), kind
        )
        ranked = sources.roadmap_ranked(workspace, survey_id=survey.id, start=start, end=end)
        every_theme = sources.themes(workspace.id, survey.id, start, end, limit=None)
        themes = every_theme[:8]
        money = revenue.by_theme(
            db.session, workspace_id=workspace.id, survey_id=survey.id, start=start, end=end
        )
        for theme in themes:
            theme.update(revenue.figures_or_zero(money.get(theme["theme_id"])))
        context.update(
            headline=_headline(
                workspace.id, survey, start, end, overall, by_segment["groups"], themes, ranked
            ),
            kind=kind,
            overall=overall,
            fmt=charts.fmt,
            points=points,
            change=change,
            trend=charts.trend(points, kind),
            trend_narrow=charts.trend(points, kind, width=360, height=260),
            segment_bars=segment_bars,
            segment_zero=segment_zero,
            attribute_bars=attribute_bars,
            attribute_zero=attribute_zero,
            themes=themes,
            asks=sources.by_intent(workspace.id, survey.id, start, end, every_theme, "request"),
            complaints=sources.by_intent(workspace.id, survey.id, start, end, every_theme, "complaint"),
            emerging=sources.emerging_phrases(workspace.id, survey.id, start, end),
            roadmap=ranked[:5],
            funnel=funnel(db.session, workspace_id=workspace.id, survey_id=survey.id, start=start, end=end),
            stats=case_stats(db.session, workspace_id=workspace.id, start=start, end=end),
        )
    context["customer_health"] = customer_summary(db.session, workspace_id=workspace.id)
    elapsed = (time.perf_counter() - started) * 1000
    response = render_template("app/dashboard.html", **context)
    total = (time.perf_counter() - started) * 1000
    return response, 200, {"Server-Timing": f"data;dur={elapsed:.1f}, total;dur={total:.1f}"}
