"""Insights: what the analysed comments say beyond the scores."""

from flask import g

from surveys.analysis.insights import emerging
from surveys.analysis.schemas import EmergingArgsSchema
from surveys.core.db import db, rfc3339
from surveys.customer import revenue
from surveys.metrics.schemas import ThemeInsightsArgsSchema
from surveys.metrics.theme_insights import theme_insights
from surveys.segment.service import filter_for
from surveys.survey.service import get_survey
from vocservice.api.common import Blueprint
from vocservice.auth import READ, require

PREFIX = "/insights"
_COUNT = {"type": "integer", "minimum": 0}
# Documents the members added by issue 13 (intent); the rest is described in the text.
THEME_INSIGHTS = {
    "type": "object",
    "description": "Key drivers, by theme.",
    "properties": {
        "intent": {"type": ["string", "null"], "description": "the ?intent= the themes are ranked by"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "intents": {
                        "type": "object",
                        "description": "the theme's mentions by what they want; other: the rest "
                        "(including mentions analysed before intents existed)",
                        "properties": {
                            name: _COUNT for name in ("request", "complaint", "question", "praise", "other")
                        },
                    }
                },
            },
        },
    },
}
blp = Blueprint("insights", __name__, description="Themes, emerging phrases and their impact")


@blp.route("/emerging", methods=["GET"])
@blp.alt_response(200, schema={"type": "object", "description": "Emerging phrases."}, success=True)
@require(READ)
@blp.arguments(EmergingArgsSchema, location="query")
def get_emerging(args):
    """Recurring noun phrases in analysed comments that no theme's keywords cover yet."""
    if args["survey_id"]:
        get_survey(db.session, workspace_id=g.workspace.id, survey_id=args["survey_id"])
    result = emerging(
        db.session,
        workspace_id=g.workspace.id,
        survey_id=args["survey_id"],
        start=args["start"],
        end=args["end"],
        min_count=args["min_count"],
        limit=args["limit"],
    )
    return {
        "survey_id": args["survey_id"],
        "from": rfc3339(args["start"]),
        "to": rfc3339(args["end"]),
        "min_count": args["min_count"],
        "comments": result.comments,
        "items": result.items,
    }


@blp.route("/themes", methods=["GET"])
@blp.alt_response(200, schema=THEME_INSIGHTS, success=True)
@require(READ)
@blp.arguments(ThemeInsightsArgsSchema, location="query")
def get_theme_insights(args):
    """Key drivers: per theme mentions, share of commented answers, sentiment, the score with and
    without the theme, its impact on the overall score (points) and its trend; most harmful first.
    ``intents``: its mentions by what they want (``request``, ``complaint``, ``question``,
    ``praise``, and ``other`` for the rest, including mentions analysed before intents existed),
    so a theme customers ask things of does not read as praised. ``?intent=request`` lists only
    themes with such mentions, most first: what customers ask for (``complaint``: what they
    complain about). ``revenue``: revenue of the customers who mentioned it; ``revenue_at_risk``:
    of those whose latest answer is a detractor (the unhappy end of its scale) or who spoke
    negatively about it.
    """
    result = theme_insights(
        db.session,
        workspace_id=g.workspace.id,
        survey_id=args["survey_id"],
        start=args["start"],
        end=args["end"],
        segment_id=args["segment_id"],
        interval=args["interval"],
        intent=args["intent"],
    )
    where = filter_for(db.session, workspace_id=g.workspace.id, segment_id=args["segment_id"])
    money = revenue.by_theme(
        db.session,
        workspace_id=g.workspace.id,
        survey_id=result["survey_id"],
        start=args["start"],
        end=args["end"],
        where=where,
    )
    for item in result["items"]:
        item.update(revenue.figures_or_zero(money.get(item["theme_id"])))
    return {**result, "from": rfc3339(args["start"]), "to": rfc3339(args["end"])}
