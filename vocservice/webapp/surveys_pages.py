"""Surveys and touchpoints (``/app/surveys``): everyone sees them; admins create them and
pause or activate them, through the same schemas and checks as the API.
"""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from surveys.core.db import db
from surveys.core.errors import Invalid, NotFound
from surveys.metrics.models import DailyRollup
from surveys.metrics.rollups import TOTAL
from surveys.survey import service
from surveys.survey.models import SURVEY_STATUSES, Survey, Touchpoint
from surveys.survey.schemas import SurveyCreateSchema, TouchpointCreateSchema
from vocservice.webapp import bp
from vocservice.webapp.auth import admin_required
from vocservice.webapp.forms_util import load_form

SURVEY_FIELDS = ("name", "kind", "question", "comment_prompt", "status")
TOUCHPOINT_FIELDS = (
    "name",
    "event",
    "survey_id",
    "channel",
    "webhook_url",
    "delay_seconds",
    "expires_after_days",
)


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
        "touchpoint_errors": {},
        "survey_form": {},
        "touchpoint_form": {},
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


@bp.post("/touchpoints")
@admin_required
def create_touchpoint():
    data, errors = load_form(TouchpointCreateSchema(), request.form, TOUCHPOINT_FIELDS)
    if data is not None:
        try:
            touchpoint = service.create_touchpoint(
                db.session,
                workspace=g.workspace,
                data=data,
                allow_private_urls=current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"],
            )
        except (Invalid, NotFound) as error:  # checked before anything is added
            errors = error.errors or {"survey_id": [error.detail]}
    if errors:
        return _page(422, touchpoint_errors=errors, touchpoint_form=request.form)
    db.session.commit()
    flash(f"Touchpoint “{touchpoint.name}” created.", "success")
    return redirect(url_for("webapp.surveys"))


@bp.post("/touchpoints/<touchpoint_id>/active")
@admin_required
def touchpoint_active(touchpoint_id: str):
    touchpoint = service.get_touchpoint(db.session, workspace_id=g.workspace.id, touchpoint_id=touchpoint_id)
    touchpoint.active = request.form.get("active") == "1"
    db.session.commit()
    flash(f"Touchpoint “{touchpoint.name}” {'activated' if touchpoint.active else 'paused'}.", "success")
    return redirect(url_for("webapp.surveys"))
