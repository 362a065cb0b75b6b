"""Metrics: NPS, CSAT and CES with 95% intervals, overall and grouped, and response rates per
touchpoint. Read from daily rollups whenever the question allows it."""

from flask import g

from surveys.core.db import db, rfc3339
from surveys.customer import revenue
from surveys.metrics.schemas import MetricsArgsSchema, ResponseRateArgsSchema
from surveys.metrics.service import compute_metrics, response_rates
from vocservice.api.common import Blueprint
from vocservice.auth import READ, require

PREFIX = "/metrics"
blp = Blueprint("metrics", __name__, description="Scores, intervals and response rates")


@blp.route("", methods=["GET"])
@blp.alt_response(200, schema={"type": "object", "description": "Score, overall and grouped."}, success=True)
@require(READ)
@blp.arguments(MetricsArgsSchema, location="query")
def get_metrics(args):
    """Score of one survey (kinds differ, so ``survey_id`` is required), optionally grouped.

    ``promoters``/``passives``/``detractors`` are the kind's top, middle and bottom categories:
    9-10/7-8/0-6 for NPS, 4-5/3/1-2 for CSAT, 5-7/4/1-3 for CES. ``small_sample`` flags fewer
    than 30 answers; ``source`` says whether rollups or raw rows answered.

    ``compare=previous`` (with ``from`` and ``to``) adds ``previous`` (the same-length period just
    before) and, overall and per group, ``change``: the previous score, the difference, its 95%
    interval, the p-value, the test (NPS: z test on the difference of two NPS values; CSAT:
    two-proportion z test; CES: Welch's t test), ``significant`` at 0.05 and, when either period
    has fewer than 30 answers, the ``reason`` it cannot be called. Groups by attribute,
    segment or theme carry ``revenue`` (of their customers) and ``revenue_at_risk`` (of those whose
    latest answer is a detractor or who spoke negatively), null for time and touchpoint groups.
    """
    result = compute_metrics(
        db.session,
        workspace_id=g.workspace.id,
        survey_id=args["survey_id"],
        start=args["start"],
        end=args["end"],
        segment_id=args["segment_id"],
        group_by=args["group_by"],
        compare=bool(args["compare"]),
    )
    if args["compare"]:
        previous = result["previous"]
        previous["from"], previous["to"] = rfc3339(previous["from"]), rfc3339(previous["to"])
    _add_revenue(result, args)
    return {**result, "from": rfc3339(args["start"]), "to": rfc3339(args["end"])}


def _add_revenue(result: dict, args: dict) -> None:
    """Revenue and revenue at risk per group, for groups of customers (attribute, segment, theme)."""
    group_by = args["group_by"] or ""
    scope = {
        "workspace_id": g.workspace.id,
        "survey_id": result["survey_id"],
        "start": args["start"],
        "end": args["end"],
    }
    if group_by.startswith("attributes."):
        money = revenue.by_attribute(db.session, name=group_by.split(".", 1)[1], **scope)
        key = "key"
    elif group_by == "segment":
        money, key = revenue.by_segment(db.session, **scope), "key"
    elif group_by == "theme":
        money, key = revenue.by_theme(db.session, **scope), "theme_id"
    else:
        money, key = None, None
    for group in result["groups"]:
        if money is None:
            group.update(revenue=None, revenue_at_risk=None, customers_at_risk=None)
        else:
            group.update(revenue.figures_or_zero(money.get(group.get(key))))


@blp.route("/response-rates", methods=["GET"])
@blp.alt_response(200, schema={"type": "object", "description": "Rates by touchpoint."}, success=True)
@require(READ)
@blp.arguments(ResponseRateArgsSchema, location="query")
def get_response_rates(args):
    """Per touchpoint: invitations scheduled, sent, opened, answered, suppressed (by reason) and
    the response rate (answered / sent), for invitations created in ``[from, to)``. Opened means a
    person had the survey page open (not a mail scanner's fetch); emails carry no tracking pixels."""
    result = response_rates(db.session, workspace_id=g.workspace.id, start=args["start"], end=args["end"])
    return {**result, "from": rfc3339(args["start"]), "to": rfc3339(args["end"])}
