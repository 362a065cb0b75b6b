"""Touchpoint forms (``/app/touchpoints/new``, ``/app/touchpoints/<id>``): everything the API's
``POST``/``PATCH /api/v1/touchpoints`` takes, checked by the same schema and service, so a
webhook URL the API refuses (a private address) is refused here too, next to its field.

Conditions are rows: "Add condition" and each "Remove" are submit buttons that show the form
again with one row more or less and save nothing, so the form works without JavaScript. Only
"Save" stores, all or nothing.
"""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.errors import Invalid, NotFound
from surveys.survey import service
from surveys.survey.models import CHANNELS, Survey, Touchpoint
from surveys.survey.schemas import TouchpointCreateSchema
from vocservice.webapp import bp, touchpoint_form
from vocservice.webapp.auth import admin_required
from vocservice.webapp.forms_util import load_data


def _form_page(touchpoint: Touchpoint | None, values: dict, errors: dict, status: int = 200):
    surveys = (
        db.session.execute(select(Survey).where(Survey.workspace_id == g.workspace.id).order_by(Survey.name))
        .scalars()
        .all()
    )
    return render_template(
        "app/touchpoint_form.html",
        touchpoint=touchpoint,
        values=values,
        errors=errors,
        surveys=surveys,
        channels=CHANNELS,
        units=touchpoint_form.UNITS,
        operators=touchpoint_form.OPERATOR_LABELS,
        value_types=touchpoint_form.VALUE_TYPES,
        max_rows=touchpoint_form.MAX_CONDITION_ROWS,
    ), status


def _row_action(touchpoint: Touchpoint | None, values: dict, errors: dict):
    """Add or remove a condition row (no JavaScript needed); None when the post is a save."""
    action = request.form.get("action", "save")
    rows = values["conditions"]
    if action == "add_condition":
        if len(rows) < touchpoint_form.MAX_CONDITION_ROWS:
            rows.append(touchpoint_form.blank_condition())
        return _form_page(touchpoint, values, errors)
    if action.startswith("remove_condition:"):
        index = action.partition(":")[2]
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
        return _form_page(touchpoint, values, errors)
    return None


def _load(values: dict, errors: dict) -> dict | None:
    body, origin = touchpoint_form.to_body(values, errors)
    data, found = load_data(TouchpointCreateSchema(), body)
    touchpoint_form.schema_errors(found, origin, errors)
    return None if errors else data


@bp.get("/touchpoints/new")
@admin_required
def new_touchpoint():
    return _form_page(None, touchpoint_form.defaults(request.args.get("survey", "")), {})


@bp.post("/touchpoints")
@admin_required
def create_touchpoint():
    values, errors = touchpoint_form.posted_values(request.form)
    if (page := _row_action(None, values, errors)) is not None:
        return page
    data = _load(values, errors)
    if data is not None:
        try:
            touchpoint = service.create_touchpoint(
                db.session,
                workspace=g.workspace,
                data=data,
                allow_private_urls=current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"],
            )
        except (Invalid, NotFound) as error:  # checked before anything is added
            db.session.rollback()
            errors = error.errors or {"survey_id": [error.detail]}
    if errors:
        return _form_page(None, values, errors, 422)
    db.session.commit()
    flash(f"Touchpoint “{touchpoint.name}” created.", "success")
    return redirect(url_for("webapp.surveys"))


@bp.get("/touchpoints/<touchpoint_id>")
@admin_required
def edit_touchpoint(touchpoint_id: str):
    touchpoint = service.get_touchpoint(db.session, workspace_id=g.workspace.id, touchpoint_id=touchpoint_id)
    return _form_page(touchpoint, touchpoint_form.values_of(touchpoint), {})


@bp.post("/touchpoints/<touchpoint_id>")
@admin_required
def update_touchpoint(touchpoint_id: str):
    touchpoint = service.get_touchpoint(db.session, workspace_id=g.workspace.id, touchpoint_id=touchpoint_id)
    values, errors = touchpoint_form.posted_values(request.form)
    if (page := _row_action(touchpoint, values, errors)) is not None:
        return page
    data = _load(values, errors)
    if data is not None:
        try:
            touchpoint = service.update_touchpoint(
                db.session,
                workspace=g.workspace,
                touchpoint_id=touchpoint_id,
                data=data,
                allow_private_urls=current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"],
            )
        except (Invalid, NotFound) as error:  # checked before any field is changed
            errors = error.errors or {"survey_id": [error.detail]}
    if errors:
        db.session.rollback()
        touchpoint = service.get_touchpoint(
            db.session, workspace_id=g.workspace.id, touchpoint_id=touchpoint_id
        )
        return _form_page(touchpoint, values, errors, 422)
    db.session.commit()
    flash(f"Touchpoint “{touchpoint.name}” saved.", "success")
    return redirect(url_for("webapp.surveys"))


@bp.post("/touchpoints/<touchpoint_id>/active")
@admin_required
def touchpoint_active(touchpoint_id: str):
    touchpoint = service.get_touchpoint(db.session, workspace_id=g.workspace.id, touchpoint_id=touchpoint_id)
    touchpoint.active = request.form.get("active") == "1"
    db.session.commit()
    flash(f"Touchpoint “{touchpoint.name}” {'activated' if touchpoint.active else 'paused'}.", "success")
    return redirect(url_for("webapp.surveys"))
