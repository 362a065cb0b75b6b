"""Managing a workspace's webhook endpoints: create (with a secret shown once), change, delete,
rotate the secret, send a test ``ping``, replay a delivery.

A URL is checked when it is saved (:func:`surveys.core.netguard.check_url`) and again at each
attempt by the delivery, which connects to the address it checked.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.core import jobs
from surveys.core.bulk import insert_rows
from surveys.core.db import lock_rows, new_id, utcnow, workspace_row
from surveys.core.errors import Invalid, NotFound
from surveys.core.netguard import Resolver, check_url
from surveys.webhook import secrets
from surveys.webhook.catalogue import PING
from surveys.webhook.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from surveys.webhook.outbox import envelope, new_delivery
from surveys.workspace.models import Workspace

MAX_ENDPOINTS = 50


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str


def get_endpoint(session: Session, *, workspace_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = workspace_row(session, WebhookEndpoint, endpoint_id, workspace_id=workspace_id)
    if endpoint is None:
        raise NotFound(f"No webhook endpoint with id {endpoint_id!r} in this workspace.")
    return endpoint


def _unique(events: list[str]) -> list[str]:
    return list(dict.fromkeys(events))


def create_endpoint(
    session: Session,
    *,
    workspace: Workspace,
    data: dict,
    allow_private: bool,
    resolver: Resolver | None = None,
) -> Created:
    check_url(data["url"], allow_private=allow_private, resolver=resolver)
    count = len(
        session.execute(select(WebhookEndpoint.id).where(WebhookEndpoint.workspace_id == workspace.id)).all()
    )
    if count >= MAX_ENDPOINTS:
        raise Invalid(f"A workspace has at most {MAX_ENDPOINTS} webhook endpoints.")
    secret = secrets.new_endpoint_secret()
    endpoint = WebhookEndpoint(
        workspace_id=workspace.id,
        url=data["url"],
        description=data.get("description") or "",
        events=_unique(data["events"]),
        format=data.get("format", "standard"),
        enabled=data.get("enabled", True),
        secret=secret,
    )
    session.add(endpoint)
    session.flush()
    return Created(endpoint, secret)


def update_endpoint(
    session: Session,
    *,
    workspace: Workspace,
    endpoint_id: str,
    data: dict,
    allow_private: bool,
    resolver: Resolver | None = None,
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, workspace_id=workspace.id, endpoint_id=endpoint_id)
    if "url" in data:
        check_url(data["url"], allow_private=allow_private, resolver=resolver)
    for name in ("url", "description", "format"):
        if name in data:
            setattr(endpoint, name, data[name])
    if "events" in data:
        endpoint.events = _unique(data["events"])
    if "enabled" in data and data["enabled"] != endpoint.enabled:
        endpoint.enabled = data["enabled"]
        # Turned on again by a person: a fresh start, and whatever waited is due now.
        endpoint.disabled_reason = None
        endpoint.disabled_at = None if data["enabled"] else utcnow()
        endpoint.failing_since = None
        if data["enabled"]:
            jobs.defer_once(session, jobs.DELIVER_WEBHOOKS)
    session.flush()
    return endpoint


def delete_endpoint(session: Session, *, workspace: Workspace, endpoint_id: str) -> None:
    """Delete the endpoint with its deliveries; a job holding one of them finds it gone."""
    endpoint = get_endpoint(session, workspace_id=workspace.id, endpoint_id=endpoint_id)
    # Done here as well as by the foreign keys: SQLite does not enforce them by default.
    doomed = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(doomed)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, *, workspace: Workspace, endpoint_id: str, overlap: timedelta
) -> tuple[str, WebhookEndpoint]:
    get_endpoint(session, workspace_id=workspace.id, endpoint_id=endpoint_id)
    query = lock_rows(session, select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
    endpoint = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    secret = secrets.rotate(endpoint, overlap=overlap)
    session.flush()
    return secret, endpoint


def send_test(session: Session, *, workspace: Workspace, endpoint_id: str) -> WebhookDelivery:
    """Queue a ``ping`` to this endpoint alone, whatever it subscribes to (even when disabled,
    the delivery waits, and is sent once it is enabled)."""
    endpoint = get_endpoint(session, workspace_id=workspace.id, endpoint_id=endpoint_id)
    now = utcnow()
    message_id = new_id("msg")
    data = {"message": "Test message from vocservice.", "endpoint_id": endpoint.id}
    insert_rows(
        session,
        WebhookMessage.__table__,
        [
            {
                "id": message_id,
                "workspace_id": workspace.id,
                "event_type": PING,
                "payload": envelope(message_id, PING, workspace.id, data, now),
                "created_at": now,
            }
        ],
    )
    row = new_delivery(workspace.id, endpoint.id, message_id, PING, now)
    insert_rows(session, WebhookDelivery.__table__, [row])
    jobs.defer_once(session, jobs.DELIVER_WEBHOOKS)
    return session.get(WebhookDelivery, row["id"])


def get_delivery(
    session: Session, *, workspace_id: str, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    get_endpoint(session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    delivery = workspace_row(session, WebhookDelivery, delivery_id, workspace_id=workspace_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound(f"No delivery with id {delivery_id!r} for this endpoint.")
    return delivery


def replay(session: Session, *, workspace: Workspace, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    """Send the same message again (same ``webhook-id``) as a new delivery, due now."""
    original = get_delivery(
        session, workspace_id=workspace.id, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
    row = new_delivery(workspace.id, endpoint_id, original.message_id, original.event_type, utcnow())
    insert_rows(session, WebhookDelivery.__table__, [row])
    jobs.defer_once(session, jobs.DELIVER_WEBHOOKS)
    return session.get(WebhookDelivery, row["id"])


def deliveries_query(*, workspace_id: str, endpoint_id: str, status: str | None, event_type: str | None):
    query = select(WebhookDelivery).where(
        WebhookDelivery.workspace_id == workspace_id, WebhookDelivery.endpoint_id == endpoint_id
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    if event_type:
        query = query.where(WebhookDelivery.event_type == event_type)
    return query
