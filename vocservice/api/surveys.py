"""Surveys: NPS, CSAT and CES questions with their comment prompt and translations."""

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.errors import Conflict
from surveys.core.schemas import ListArgsSchema
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.survey.schemas import SurveyCreateSchema, SurveySchema, SurveyUpdateSchema
from vocservice.api.common import SECURITY, owned, paginate
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/surveys"
blp = Blueprint("surveys", __name__, description="NPS, CSAT and CES surveys")


@blp.route("", methods=["POST"])
@blp.doc(security=SECURITY)
@require(ADMIN)
@idempotent
@blp.arguments(SurveyCreateSchema)
@blp.response(201, SurveySchema)
def create_survey(data):
    survey = Survey(workspace_id=g.workspace.id, **data)
    db.session.add(survey)
    db.session.commit()
    return survey


@blp.route("", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_surveys(args):
    query = select(Survey).where(Survey.workspace_id == g.workspace.id)
    items, cursor = paginate(db.session, query, Survey.id, **args)
    return {"items": SurveySchema(many=True).dump(items), "next_cursor": cursor}


@blp.route("/<survey_id>", methods=["GET"])
@blp.doc(security=SECURITY)
@require(READ)
@blp.response(200, SurveySchema)
def get_survey(survey_id):
    return owned(db.session, Survey, survey_id, "survey")


@blp.route("/<survey_id>", methods=["PATCH"])
@blp.doc(security=SECURITY)
@require(ADMIN)
@blp.arguments(SurveyUpdateSchema)
@blp.response(200, SurveySchema)
def update_survey(data, survey_id):
    survey = owned(db.session, Survey, survey_id, "survey")
    if (
        data.get("kind", survey.kind) != survey.kind
        and db.session.execute(select(Response.id).where(Response.survey_id == survey.id).limit(1)).first()
    ):
        raise Conflict("This survey has responses; its kind can no longer change.")
    for field, value in data.items():
        setattr(survey, field, value)
    db.session.commit()
    return survey
