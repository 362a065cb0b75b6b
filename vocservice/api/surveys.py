"""Surveys: NPS, CSAT and CES questions with their comment prompt and translations."""

from flask import g
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.schemas import ListArgsSchema
from surveys.survey import service
from surveys.survey.models import Survey
from surveys.survey.schemas import SurveyCreateSchema, SurveySchema, SurveyUpdateSchema
from vocservice.api.common import Blueprint, page
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/surveys"
blp = Blueprint("surveys", __name__, description="NPS, CSAT and CES surveys")


@blp.route("", methods=["POST"])
@require(ADMIN)
@idempotent
@blp.arguments(SurveyCreateSchema)
@blp.response(201, SurveySchema)
def create_survey(data):
    survey = service.create_survey(db.session, workspace=g.workspace, data=data)
    db.session.flush()  # @idempotent commits, with the stored answer
    return survey


@blp.route("", methods=["GET"])
@blp.page_response(SurveySchema)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_surveys(args):
    query = select(Survey).where(Survey.workspace_id == g.workspace.id)
    return page(db.session, query, Survey.id, dump=SurveySchema().dump, **args)


@blp.route("/<survey_id>", methods=["GET"])
@require(READ)
@blp.response(200, SurveySchema)
def get_survey(survey_id):
    return service.get_survey(db.session, workspace_id=g.workspace.id, survey_id=survey_id)


@blp.route("/<survey_id>", methods=["PATCH"])
@require(ADMIN)
@blp.arguments(SurveyUpdateSchema)
@blp.response(200, SurveySchema)
def update_survey(data, survey_id):
    """Change the fields sent; the kind only while the survey has no responses (else 409)."""
    survey = service.update_survey(db.session, workspace=g.workspace, survey_id=survey_id, data=data)
    db.session.commit()
    return survey
