"""Insights: what the analysed comments say beyond the scores."""

from flask import g
from flask_smorest import Blueprint

from surveys.analysis_schemas import EmergingArgsSchema
from surveys.base import db
from surveys.insights import emerging
from surveys.models import Survey
from vocservice.api.common import SECURITY, owned
from vocservice.auth import READ, require

PREFIX = "/insights"
blp = Blueprint("insights", __name__, description="Themes, emerging phrases and their impact")


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


@blp.route("/emerging", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.arguments(EmergingArgsSchema, location="query")
def get_emerging(args):
    """Recurring noun phrases in analysed comments that no theme's keywords cover yet."""
    if args["survey_id"]:
        owned(db.session, Survey, args["survey_id"], "survey")
    result = emerging(db.session, workspace_id=g.workspace.id, survey_id=args["survey_id"],
                      start=args["start"], end=args["end"], min_count=args["min_count"],
                      limit=args["limit"])
    return {"survey_id": args["survey_id"], "from": _time(args["start"]), "to": _time(args["end"]),
            "min_count": args["min_count"], "comments": result.comments, "items": result.items}
