"""Outbound webhooks in the web app (``/app/settings/webhooks``, admins only): the same
endpoints, validation and errors as ``/api/v1/webhook-endpoints``; each endpoint's page shows its
delivery log (filter by status or event type, newest first, paged) with every attempt, and
replays a delivery, sends a test ping, rotates the secret (shown once) or deletes the endpoint.
"""

from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveys.core.db import db
from surveys.core.errors import DomainError
from surveys.webhook import service
from surveys.webhook.catalogue import EVENT_TYPES
from surveys.webhook.models import DELIVERY_STATUSES, FORMATS, WebhookDelivery, WebhookEndpoint
from surveys.webhook.schemas import EndpointCreateSchema, EndpointUpdateSchema, RotateSecretSchema
from vocservice.api.common import paginate
from vocservice.errors import status_of
from vocservice.webapp import bp
from vocservice.webapp.auth import admin_required
from vocservice.webapp.forms_util import load_data

PAGE_SIZE = 50


def _allow_private() -> bool:
    return current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"]


def _posted() -> dict:
    """The form as the API's JSON body."""
    return {
        "url": (request.form.get("url") or "").strip(),
        "description": (request.form.get("description") or "").strip(),
        "events": request.form.getlist("events"),
        "format": request.form.get("format") or "standard",
        "enabled": request.form.get("enabled", "on") == "on",
    }


def _list_page(status: int = 200, **extra):
    endpoints = (
        db.session.execute(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == g.workspace.id)
            .order_by(WebhookEndpoint.id.desc())
        )
        .scalars()
        .all()
    )
    context = {
        "endpoints": endpoints,
        "event_types": EVENT_TYPES,
        "formats": FORMATS,
        "form": {"events": [], "format": "standard"},
        "errors": {},
        "created": None,
        **extra,
    }
    return render_template("app/webhooks.html", **context), status


@bp.get("/settings/webhooks")
@admin_required
def webhooks():
    return _list_page()


@bp.post("/settings/webhooks")
@admin_required
def create_webhook():
    body = _posted()
    data, errors = load_data(EndpointCreateSchema(), body)
    if data is not None:
        try:
            created = service.create_endpoint(
                db.session, workspace=g.workspace, data=data, allow_private=_allow_private()
            )
        except DomainError as error:
            db.session.rollback()
            return _list_page(status_of(error), form=body, errors=error.errors or {"url": [error.detail]})
        db.session.commit()
        # Rendered, not redirected: the secret exists only in this response.
        return _list_page(201, created={"endpoint": created.endpoint, "secret": created.secret})
    return _list_page(422, form=body, errors=errors)


def _endpoint_page(endpoint: WebhookEndpoint, status: int = 200, **extra):
    status_filter = request.args.get("status") or None
    type_filter = request.args.get("event_type") or None
    if status_filter not in (None, *DELIVERY_STATUSES) or type_filter not in (None, *EVENT_TYPES, "ping"):
        abort(400)
    cursor = request.args.get("cursor") or None
    query = service.deliveries_query(
        workspace_id=g.workspace.id, endpoint_id=endpoint.id, status=status_filter, event_type=type_filter
    ).options(selectinload(WebhookDelivery.attempt_log))
    deliveries, next_cursor = paginate(db.session, query, WebhookDelivery.id, limit=PAGE_SIZE, cursor=cursor)
    context = {
        "endpoint": endpoint,
        "deliveries": deliveries,
        "next_cursor": next_cursor,
        "status_filter": status_filter or "",
        "type_filter": type_filter or "",
        "statuses": DELIVERY_STATUSES,
        "event_types": EVENT_TYPES,
        "formats": FORMATS,
        "form": {
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "format": endpoint.format,
            "enabled": endpoint.enabled,
        },
        "errors": {},
        "new_secret": None,
        **extra,
    }
    return render_template("app/webhook.html", **context), status


def _owned(endpoint_id: str) -> WebhookEndpoint:
    return service.get_endpoint(db.session, workspace_id=g.workspace.id, endpoint_id=endpoint_id)


@bp.get("/settings/webhooks/<endpoint_id>")
@admin_required
def webhook(endpoint_id: str):
    return _endpoint_page(_owned(endpoint_id))


@bp.post("/settings/webhooks/<endpoint_id>")
@admin_required
def update_webhook(endpoint_id: str):
    _owned(endpoint_id)  # 404 before reading the form
    body = _posted()
    body["enabled"] = request.form.get("enabled") == "on"
    data, errors = load_data(EndpointUpdateSchema(), body)
    if data is not None:
        try:
            service.update_endpoint(
                db.session,
                workspace=g.workspace,
                endpoint_id=endpoint_id,
                data=data,
                allow_private=_allow_private(),
            )
        except DomainError as error:
            errors = error.errors or {"url": [error.detail]}
    if errors:
        db.session.rollback()
        return _endpoint_page(_owned(endpoint_id), 422, errors=errors, form=body)
    db.session.commit()
    flash("Webhook endpoint saved.", "success")
    return redirect(url_for("webapp.webhook", endpoint_id=endpoint_id))


@bp.post("/settings/webhooks/<endpoint_id>/test")
@admin_required
def test_webhook(endpoint_id: str):
    service.send_test(db.session, workspace=g.workspace, endpoint_id=endpoint_id)
    db.session.commit()
    flash("Test message queued: it appears in the log below within seconds.", "success")
    return redirect(url_for("webapp.webhook", endpoint_id=endpoint_id))


@bp.post("/settings/webhooks/<endpoint_id>/deliveries/<delivery_id>/replay")
@admin_required
def replay_webhook_delivery(endpoint_id: str, delivery_id: str):
    service.replay(db.session, workspace=g.workspace, endpoint_id=endpoint_id, delivery_id=delivery_id)
    db.session.commit()
    flash("Delivery queued again, with the same webhook-id.", "success")
    return redirect(url_for("webapp.webhook", endpoint_id=endpoint_id))


@bp.post("/settings/webhooks/<endpoint_id>/rotate")
@admin_required
def rotate_webhook_secret(endpoint_id: str):
    endpoint = _owned(endpoint_id)
    data, errors = load_data(RotateSecretSchema(), {"overlap_hours": request.form.get("overlap_hours", "24")})
    if data is None:
        return _endpoint_page(endpoint, 422, errors=errors)
    secret, endpoint = service.rotate_secret(
        db.session,
        workspace=g.workspace,
        endpoint_id=endpoint_id,
        overlap=timedelta(hours=data["overlap_hours"]),
    )
    db.session.commit()
    return _endpoint_page(
        endpoint, new_secret={"secret": secret, "until": endpoint.secret_previous_expires_at}
    )


@bp.post("/settings/webhooks/<endpoint_id>/delete")
@admin_required
def delete_webhook(endpoint_id: str):
    endpoint = _owned(endpoint_id)
    url = endpoint.url
    service.delete_endpoint(db.session, workspace=g.workspace, endpoint_id=endpoint_id)
    db.session.commit()
    flash(f"Webhook endpoint {url} deleted with its delivery log.", "success")
    return redirect(url_for("webapp.webhooks"))
