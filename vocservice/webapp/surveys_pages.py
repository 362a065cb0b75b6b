"""Surveys and touchpoints (``/app/surveys``): everyone sees them; admins create and edit
surveys (with their translations), through the same schemas and checks as the API. Touchpoints
are edited in :mod:`vocservice.webapp.touchpoint_pages`, previews live in
:mod:`vocservice.webapp.previews`.
"""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from surveys.core.db import db
from surveys.core.errors import Conflict
from surveys.metrics.models import DailyRollup
from surveys.metrics.rollups import TOTAL
from surveys.survey import service
from surveys.survey.models import SURVEY_KINDS, SURVEY_STATUSES, Survey, Touchpoint
from surveys.survey.schemas import SurveyCreateSchema
from vocservice.webapp import bp, survey_form
from vocservice.webapp.auth import admin_required
from vocservice.webapp.forms_util import load_data, load_form

SURVEY_FIELDS = ("name", "kind", "question", "comment_prompt", "status")


def _page(status: int = 200, **extra):
    workspace_id = g.workspace.id
    surveys = (
        db.session.execute(select(Survey).where(Survey.workspace_id == workspace_id).order_by(Survey.name))
        .scalars()
        .all()
    )
    touchpoints = (
        db.session.execute(
            select(Touchpoint).where(Touchpoint.workspace_id == workspace_id).order_by(Touchpoint.name)
        )
        .unique()
        .scalars()
        .all()
    )
    counts = dict(
        db.session.execute(
            select(DailyRollup.survey_id, func.sum(DailyRollup.responses))
            .where(DailyRollup.workspace_id == workspace_id, DailyRollup.dim == TOTAL)
            .group_by(DailyRollup.survey_id)
        ).all()
    )
    context = {
        "surveys": surveys,
        "touchpoints": touchpoints,
        "counts": counts,
        "statuses": SURVEY_STATUSES,
        "survey_errors": {},
        "survey_form": {},
        **extra,
    }
    return render_template("app/surveys.html", **context), status


@bp.get("/surveys")
def surveys():
    return _page()


@bp.post("/surveys")
@admin_required
def create_survey():
    data, errors = load_form(SurveyCreateSchema(), request.form, SURVEY_FIELDS)
    if errors:
        return _page(422, survey_errors=errors, survey_form=request.form)
    survey = service.create_survey(db.session, workspace=g.workspace, data=data)
    db.session.commit()
    flash(f"Survey “{survey.name}” created.", "success")
    return redirect(url_for("webapp.surveys"))


@bp.post("/surveys/<survey_id>/status")
@admin_required
def survey_status(survey_id: str):
    status = request.form.get("status") or ""
    survey = service.set_survey_status(db.session, workspace=g.workspace, survey_id=survey_id, status=status)
    db.session.commit()
    flash(f"Survey “{survey.name}” is now {status}.", "success")
    return redirect(url_for("webapp.surveys"))


def _edit_page(survey: Survey, values: dict, errors: dict, status: int = 200):
    return render_template(
        "app/survey_form.html",
        survey=survey,
        values=values,
        errors=errors,
        kinds=SURVEY_KINDS,
        statuses=SURVEY_STATUSES,
        max_rows=survey_form.MAX_TRANSLATION_ROWS,
    ), status


@bp.get("/surveys/<survey_id>")
@admin_required
def edit_survey(survey_id: str):
    survey = service.get_survey(db.session, workspace_id=g.workspace.id, survey_id=survey_id)
    return _edit_page(survey, survey_form.values_of(survey), {})


@bp.post("/surveys/<survey_id>")
@admin_required
def update_survey(survey_id: str):
    """Save the survey, or (the no-JavaScript row buttons) add or remove a translation row and
    show the form again with nothing saved."""
    survey = service.get_survey(db.session, workspace_id=g.workspace.id, survey_id=survey_id)
    values, errors = survey_form.posted_values(request.form)
    rows = values["translations"]
    action = request.form.get("action", "save")
    if action == "add_translation" and not errors:
        if len(rows) < survey_form.MAX_TRANSLATION_ROWS:
            rows.append(survey_form.blank_translation())
        return _edit_page(survey, values, {})
    if action.startswith("remove_translation:") and not errors:
        index = action.partition(":")[2]
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
        return _edit_page(survey, values, {})
    body, origin = survey_form.to_body(values, errors)
    data, found = load_data(SurveyCreateSchema(), body)
    survey_form.schema_errors(found, origin, errors)
    if not errors:
        try:
            survey = service.update_survey(db.session, workspace=g.workspace, survey_id=survey_id, data=data)
        except Conflict as error:  # the kind of a survey with answers is fixed
            db.session.rollback()
            errors = {"kind": [error.detail]}
    if errors:
        db.session.rollback()
        survey = service.get_survey(db.session, workspace_id=g.workspace.id, survey_id=survey_id)
        return _edit_page(survey, values, errors, 422)
    db.session.commit()
    flash(f"Survey “{survey.name}” saved.", "success")
    return redirect(url_for("webapp.edit_survey", survey_id=survey.id))
