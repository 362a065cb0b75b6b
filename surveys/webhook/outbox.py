"""Writing events to the outbox, in the caller's transaction.

:func:`emit` looks up the workspace's enabled endpoints subscribed to the event type and writes
one message per event and one delivery per (message, endpoint) with plain INSERTs, then asks for
a ``deliver_webhooks`` job after commit. Nothing is written when nobody subscribes, so a
workspace without endpoints pays one indexed query per emitting transaction. A rollback takes
the messages with it: a receiver never hears of a change that did not happen.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.core import jobs
from surveys.core.bulk import insert_rows
from surveys.core.db import new_id, rfc3339, utcnow
from surveys.webhook.catalogue import EVENT_TYPES, VERSION
from surveys.webhook.models import WebhookDelivery, WebhookEndpoint, WebhookMessage


def envelope(message_id: str, event_type: str, workspace_id: str, data: dict, at: datetime) -> dict:
    return {
        "id": message_id,
        "type": event_type,
        "version": VERSION,
        "timestamp": rfc3339(at),
        "workspace_id": workspace_id,
        "data": data,
    }


def subscriptions(session: Session, workspace_id: str) -> dict[str, list[str]]:
    """event type -> ids of the workspace's enabled endpoints subscribed to it."""
    found: dict[str, list[str]] = {}
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True)
        )
    )
    for endpoint_id, events in rows:
        for event_type in events or ():
            found.setdefault(event_type, []).append(endpoint_id)
    return found


def emit(
    session: Session,
    *,
    workspace_id: str,
    event_type: str,
    items: list[dict],
    endpoint_ids: list[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one message per ``items`` entry (the ``data`` of each) for every subscriber; returns
    the number of messages written. ``endpoint_ids``: subscribers already looked up (see
    :func:`subscriptions`), else they are looked up here."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not items:
        return 0
    if endpoint_ids is None:
        endpoint_ids = subscriptions(session, workspace_id).get(event_type, [])
    if not endpoint_ids:
        return 0
    return emit_many(session, workspace_id=workspace_id, batches=[(event_type, items, endpoint_ids)], now=now)


def emit_many(
    session: Session,
    *,
    workspace_id: str,
    batches: list[tuple[str, list[dict], list[str]]],
    now: datetime | None = None,
) -> int:
    """:func:`emit` for several event types at once, ``(event type, items, endpoint ids)`` each
    (subscribers already looked up): one INSERT of messages and one of deliveries in all."""
    now = now or utcnow()
    messages, deliveries = [], []
    for event_type, items, endpoint_ids in batches:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {event_type!r}")
        for data in items if endpoint_ids else ():
            message_id = new_id("msg")
            messages.append(
                {
                    "id": message_id,
                    "workspace_id": workspace_id,
                    "event_type": event_type,
                    "payload": envelope(message_id, event_type, workspace_id, data, now),
                    "created_at": now,
                }
            )
            deliveries.extend(
                new_delivery(workspace_id, endpoint_id, message_id, event_type, now)
                for endpoint_id in endpoint_ids
            )
    if messages:
        insert_rows(session, WebhookMessage.__table__, messages)
        insert_rows(session, WebhookDelivery.__table__, deliveries)
        jobs.defer_once(session, jobs.DELIVER_WEBHOOKS)
    return len(messages)


def new_delivery(
    workspace_id: str, endpoint_id: str, message_id: str, event_type: str, now: datetime
) -> dict:
    """A pending delivery row, due now."""
    return {
        "id": new_id("dlv"),
        "workspace_id": workspace_id,
        "endpoint_id": endpoint_id,
        "message_id": message_id,
        "event_type": event_type,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
