"""Alerts in the web app: ``/app/alerts``, the history of alerts (newest first, paged, by rule)
with each alert's figures, quotes and evidence link, and the rules with their warnings and what
their latest evaluation found; admins add, change and delete rules with the API's schema and
checks (``/api/v1/alert-rules``), so both accept exactly the same rules.
"""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from surveys.alert import service
from surveys.alert.models import BASELINES, KINDS, MEASURES, Alert, AlertRule
from surveys.alert.schemas import AlertRuleCreateSchema, AlertRuleUpdateSchema
from surveys.analysis.models import Theme
from surveys.core.db import db
from surveys.core.errors import DomainError
from surveys.segment.models import Segment
from surveys.survey.models import Survey, Touchpoint
from surveys.webhook.models import WebhookEndpoint
from surveys.workspace.models import User
from vocservice.api.common import paginate
from vocservice.webapp import bp
from vocservice.webapp.auth import admin_required
from vocservice.webapp.forms_util import load_data

PAGE_SIZE = 25
_NUMBERS = ("window_days", "baseline_windows", "min_responses", "significance", "k_sigma")
_REFS = ("survey_id", "segment_id", "theme_id", "touchpoint_id")


def _posted() -> dict:
    """The form as the API's JSON body (empty fields left out: the API's defaults apply)."""
    form = request.form
    body: dict = {"name": (form.get("name") or "").strip(), "kind": form.get("kind") or ""}
    body["enabled"] = form.get("enabled", "on") == "on"
    for name in _REFS:
        if form.get(name):
            body[name] = form[name]
    for name in _NUMBERS:
        if (form.get(name) or "").strip():
            body[name] = form[name].strip()
    for name in ("baseline", "measure"):
        if form.get(name):
            body[name] = form[name]
    attribute, value = (
        (form.get("account_attribute") or "").strip(),
        (form.get("account_value") or "").strip(),
    )
    if attribute or value:
        body["account"] = {"attribute": attribute, "value": value}
    body["notify"] = {"emails": form.getlist("emails"), "webhook_endpoint_ids": form.getlist("endpoints")}
    return body


def _choices(workspace_id: str) -> dict:
    def rows(model, *columns):
        query = select(model).where(model.workspace_id == workspace_id).order_by(*columns)
        return db.session.execute(query).scalars().all()

    return {
        "surveys": rows(Survey, Survey.name),
        "segments": rows(Segment, Segment.name),
        "themes": rows(Theme, Theme.name),
        "touchpoints": rows(Touchpoint, Touchpoint.name),
        "users": [u for u in rows(User, User.email) if u.disabled_at is None],
        "endpoints": rows(WebhookEndpoint, WebhookEndpoint.url),
        "kinds": KINDS,
        "baselines": BASELINES,
        "measures": MEASURES,
    }


def _form_of(rule: AlertRule | None) -> dict:
    if rule is None:
        return {"kind": "detractor", "enabled": True, "emails": [], "endpoints": []}
    form = {
        k: getattr(rule, k) for k in ("name", "kind", "enabled", *_REFS, *_NUMBERS, "baseline", "measure")
    }
    form.update(
        account_attribute=(rule.account or {}).get("attribute", ""),
        account_value=(rule.account or {}).get("value", ""),
        emails=(rule.notify or {}).get("emails", []),
        endpoints=(rule.notify or {}).get("webhook_endpoint_ids", []),
    )
    return form


def _page(status: int = 200, **extra):
    workspace_id = g.workspace.id
    rule_filter = (request.args.get("rule") or "").strip()[:40]
    query = select(Alert).where(Alert.workspace_id == workspace_id)
    if rule_filter:
        query = query.where(Alert.rule_id == rule_filter)
    cursor = (request.args.get("cursor") or "").strip()[:60] or None
    alerts, next_cursor = paginate(db.session, query, Alert.id, limit=PAGE_SIZE, cursor=cursor)
    rules = (
        db.session.execute(service.rules_query(workspace_id=workspace_id).order_by(AlertRule.name))
        .scalars()
        .all()
    )
    context = {
        "alerts": alerts,
        "next_cursor": next_cursor,
        "rule_filter": rule_filter,
        "rules": [service.rule_view(db.session, r) for r in rules],
        "rule_names": {r.id: r.name for r in rules},
        "form": _form_of(None),
        "errors": {},
        **_choices(workspace_id),
        **extra,
    }
    return render_template("app/alerts.html", **context), status


@bp.get("/alerts")
def alerts():
    return _page()


def _errors_of(error: DomainError) -> dict:
    found = {k: v if isinstance(v, list) else [str(v)] for k, v in (error.errors or {}).items()}
    return found or {"_": [error.detail]}


@bp.post("/alerts/rules")
@admin_required
def create_alert_rule():
    body = _posted()
    data, errors = load_data(AlertRuleCreateSchema(), body)
    if data is not None:
        try:
            rule = service.create_rule(db.session, workspace_id=g.workspace.id, data=data)
            db.session.commit()
            flash(f"Alert rule “{rule.name}” created: the tick evaluates it from now on.", "success")
            return redirect(url_for("webapp.alerts"))
        except DomainError as error:
            db.session.rollback()
            errors = _errors_of(error)
    form = {
        **body,
        "emails": request.form.getlist("emails"),
        "endpoints": request.form.getlist("endpoints"),
        "account_attribute": request.form.get("account_attribute", ""),
        "account_value": request.form.get("account_value", ""),
    }
    return _page(422, form=form, errors=errors)


def _rule_page(rule: AlertRule, status: int = 200, form=None, errors=None):
    return render_template(
        "app/alert_rule.html",
        rule=service.rule_view(db.session, rule),
        form=form or _form_of(rule),
        errors=errors or {},
        **_choices(g.workspace.id),
    ), status


@bp.get("/alerts/rules/<rule_id>")
@admin_required
def alert_rule(rule_id):
    return _rule_page(service.get_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id))


@bp.post("/alerts/rules/<rule_id>")
@admin_required
def update_alert_rule(rule_id):
    rule = service.get_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id)
    body = _posted()
    for name in (*_REFS, "account"):
        body.setdefault(name, None)  # a cleared choice clears the field
    data, errors = load_data(AlertRuleUpdateSchema(), body)
    if data is not None:
        try:
            service.update_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id, data=data)
            db.session.commit()
            flash("Alert rule saved.", "success")
            return redirect(url_for("webapp.alerts"))
        except DomainError as error:
            db.session.rollback()
            errors = _errors_of(error)
            rule = service.get_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id)
    form = {
        **body,
        "emails": request.form.getlist("emails"),
        "endpoints": request.form.getlist("endpoints"),
        "account_attribute": request.form.get("account_attribute", ""),
        "account_value": request.form.get("account_value", ""),
    }
    return _rule_page(rule, 422, form=form, errors=errors)


@bp.post("/alerts/rules/<rule_id>/delete")
@admin_required
def delete_alert_rule(rule_id):
    service.delete_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id)
    db.session.commit()
    flash("Alert rule deleted, with its alerts.", "success")
    return redirect(url_for("webapp.alerts"))
