"""Outbound webhook endpoints (admin only): subscribe a URL to event types, see every delivery
with its attempts, replay one, send a test ``ping``, rotate the endpoint's signing secret.

The secret is in the creation's (and a rotation's) answer once, and nowhere else.
"""

from datetime import timedelta

from flask import current_app, g
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.schemas import ListArgsSchema
from surveys.webhook import service
from surveys.webhook.models import WebhookDelivery, WebhookEndpoint
from surveys.webhook.schemas import (
    DeliveryListArgsSchema,
    DeliverySchema,
    EndpointCreatedSchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    RotatedSecretSchema,
    RotateSecretSchema,
)
from vocservice.api.common import Blueprint, page
from vocservice.auth import ADMIN, require
from vocservice.idempotency import idempotent

PREFIX = "/webhook-endpoints"
blp = Blueprint("webhook-endpoints", __name__, description="Outbound webhooks: endpoints and deliveries")
NO_STORE = {"Cache-Control": "no-store"}


def _allow_private() -> bool:
    return current_app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"]


@blp.route("", methods=["GET"])
@blp.page_response(EndpointSchema)
@require(ADMIN)
@blp.arguments(ListArgsSchema, location="query")
def list_endpoints(args):
    query = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == g.workspace.id)
    return page(db.session, query, WebhookEndpoint.id, dump=EndpointSchema().dump, **args)


@blp.route("", methods=["POST"])
@require(ADMIN)
@idempotent
@blp.arguments(EndpointCreateSchema)
@blp.response(201, EndpointCreatedSchema)
def create_endpoint(data):
    """Create an endpoint; its ``whsec_`` secret is in this answer only."""
    created = service.create_endpoint(
        db.session, workspace=g.workspace, data=data, allow_private=_allow_private()
    )
    db.session.flush()  # @idempotent commits, with the stored answer
    return created.endpoint, 201, NO_STORE


@blp.route("/<endpoint_id>", methods=["GET"])
@require(ADMIN)
@blp.response(200, EndpointSchema)
def get_endpoint(endpoint_id):
    return service.get_endpoint(db.session, workspace_id=g.workspace.id, endpoint_id=endpoint_id)


@blp.route("/<endpoint_id>", methods=["PATCH"])
@require(ADMIN)
@blp.arguments(EndpointUpdateSchema)
@blp.response(200, EndpointSchema)
def update_endpoint(data, endpoint_id):
    """Change the URL, events, format or description; ``enabled: true`` turns an endpoint the
    service disabled back on, and what waited is delivered."""
    endpoint = service.update_endpoint(
        db.session, workspace=g.workspace, endpoint_id=endpoint_id, data=data, allow_private=_allow_private()
    )
    db.session.commit()
    return endpoint


@blp.route("/<endpoint_id>", methods=["DELETE"])
@require(ADMIN)
@blp.response(204)
def delete_endpoint(endpoint_id):
    service.delete_endpoint(db.session, workspace=g.workspace, endpoint_id=endpoint_id)
    db.session.commit()
    return ""


@blp.route("/<endpoint_id>/rotate-secret", methods=["POST"])
@require(ADMIN)
@blp.arguments(RotateSecretSchema)
@blp.response(200, RotatedSecretSchema)
def rotate_secret(data, endpoint_id):
    """A new secret, shown once; the old one keeps signing (a second signature in the header)
    for ``overlap_hours`` (default 24, 0 = stops at once)."""
    secret, endpoint = service.rotate_secret(
        db.session,
        workspace=g.workspace,
        endpoint_id=endpoint_id,
        overlap=timedelta(hours=data["overlap_hours"]),
    )
    db.session.commit()
    return (
        {"secret": secret, "previous_secret_valid_until": endpoint.secret_previous_expires_at},
        200,
        NO_STORE,
    )


@blp.route("/<endpoint_id>/test", methods=["POST"])
@require(ADMIN)
@blp.response(202, DeliverySchema)
def send_test(endpoint_id):
    """Queue a ``ping`` event to this endpoint; follow it in its deliveries."""
    delivery = service.send_test(db.session, workspace=g.workspace, endpoint_id=endpoint_id)
    db.session.commit()
    return delivery


@blp.route("/<endpoint_id>/deliveries", methods=["GET"])
@blp.page_response(DeliverySchema)
@require(ADMIN)
@blp.arguments(DeliveryListArgsSchema, location="query")
def list_deliveries(args, endpoint_id):
    """Newest first; ``?status=failed`` for what needs attention, ``?event_type=``."""
    service.get_endpoint(db.session, workspace_id=g.workspace.id, endpoint_id=endpoint_id)
    query = service.deliveries_query(
        workspace_id=g.workspace.id,
        endpoint_id=endpoint_id,
        status=args["status"],
        event_type=args["event_type"],
    )
    return page(
        db.session,
        query,
        WebhookDelivery.id,
        dump=DeliverySchema().dump,
        limit=args["limit"],
        cursor=args["cursor"],
    )


@blp.route("/<endpoint_id>/deliveries/<delivery_id>", methods=["GET"])
@require(ADMIN)
@blp.response(200, DeliverySchema)
def get_delivery(endpoint_id, delivery_id):
    return service.get_delivery(
        db.session, workspace_id=g.workspace.id, endpoint_id=endpoint_id, delivery_id=delivery_id
    )


@blp.route("/<endpoint_id>/deliveries/<delivery_id>/replay", methods=["POST"])
@require(ADMIN)
@blp.response(202, DeliverySchema)
def replay_delivery(endpoint_id, delivery_id):
    """Send the same message again (same ``webhook-id``) as a new delivery."""
    delivery = service.replay(
        db.session, workspace=g.workspace, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
    db.session.commit()
    return delivery
