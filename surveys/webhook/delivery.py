"""Delivering outbound webhooks: claim a due delivery, post it, record the attempt, reschedule.

Standard Webhooks: the ``webhook-id`` (the message id) is the same on every attempt and replay;
the timestamp and signature are made afresh for each attempt. Each delivery is claimed alone
under a short lease and committed before the receiver is called, so a worker killed mid-call
leaves a row that any later job takes again once the lease has passed (at-least-once: the
receiver deduplicates on ``webhook-id``).

Failures are retried on a schedule of about a day (:data:`SCHEDULE`, each step +-20% jitter, a
``Retry-After`` from the receiver honoured when it asks for longer). A 410 reply disables the
endpoint at once; an endpoint whose every attempt has failed for :attr:`WebhookSettings.disable_after`
(default three days) is disabled too, and the job tells the workspace's admins.
"""

import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from surveys.core.db import lock_rows, utcnow
from surveys.core.errors import Invalid
from surveys.core.netguard import Resolver, resolve_url
from surveys.core.outbound import post_pinned, signed_headers
from surveys.webhook import slack
from surveys.webhook.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from surveys.webhook.secrets import signing_secrets

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt: 8 attempts over about 27 hours.
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(SCHEDULE) + 1
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(days=1)
# Longer than the longest attempt (surveys.core.outbound.DEADLINE) with room to record it.
LEASE = timedelta(seconds=60)
EXCERPT_BYTES = 1024
ERROR_CHARS = 500


@dataclass(frozen=True)
class WebhookSettings:
    allow_private: bool = False
    disable_after: timedelta = timedelta(days=3)
    retention: timedelta = timedelta(days=30)
    # Where an answer is shown in the web app (Slack messages link to it): "{id}" is replaced.
    answer_url: str = "http://localhost:5000/app/feedback?response={id}"
    # How long a claimed delivery is held before another worker may take it (a dead worker's).
    lease: timedelta = LEASE
    resolver: Resolver | None = None  # tests only
    verify: bool | str = True


@dataclass
class DeliverResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    # Endpoints this run turned off for sustained failure: their admins are to be told.
    disabled_for_failure: list[str] = field(default_factory=list)
    more: bool = False


def _due(now: datetime):
    return (
        (WebhookDelivery.status == "pending")
        & (WebhookDelivery.next_attempt_at <= now)
        & or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now)
        & WebhookEndpoint.enabled.is_(True)
    )


def due_count(session: Session, *, now: datetime | None = None, limit: int = 1000) -> int:
    """How many deliveries are due now (at most ``limit``): the tick asks for a job if any."""
    now = now or utcnow()
    query = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(_due(now))
        .limit(limit)
    )
    return len(session.execute(query).all())


def _claim(session: Session, now: datetime, lease: timedelta = LEASE) -> str | None:
    """Lease the most overdue due delivery, in one statement, and commit: the lease holds before
    anything leaves the building. None when nothing is due."""
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(_due(now))
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(1)
    )
    due = lock_rows(session, due, of=WebhookDelivery, skip_locked=True)
    delivery_id = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == due.scalar_subquery())
        .values(lease_until=now + lease)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.commit()
    return delivery_id


def deliver_due(
    session: Session,
    *,
    settings: WebhookSettings,
    limit: int = 200,
    budget: timedelta = timedelta(seconds=60),
) -> DeliverResult:
    """Deliver due deliveries one by one until none is due, ``limit`` were tried or ``budget``
    has passed; ``more`` says whether a successor job is wanted."""
    result = DeliverResult()
    started = utcnow()
    for _ in range(limit):
        if utcnow() - started > budget:
            result.more = True
            break
        delivery_id = _claim(session, utcnow(), settings.lease)
        if delivery_id is None:
            break
        outcome = attempt(session, delivery_id, settings=settings)
        session.commit()
        if outcome == "succeeded":
            result.delivered += 1
        elif outcome == "failed":
            result.failed += 1
        elif outcome == "retrying":
            result.retrying += 1
        if outcome.startswith("disabled:"):
            result.disabled_for_failure.append(outcome.partition(":")[2])
            result.retrying += 1
    else:
        result.more = True
    return result


def _retry_after(headers: dict, now: datetime) -> timedelta | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    value = value.strip()
    try:
        wait = timedelta(seconds=int(value)) if value.isascii() and value.isdigit() else None
        if wait is None:
            wait = parsedate_to_datetime(value) - now
    except (TypeError, ValueError, OverflowError):
        return None
    return max(timedelta(0), min(wait, MAX_RETRY_AFTER))


def next_attempt_after(attempts: int, *, retry_after: timedelta | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: the schedule's step with
    jitter, or longer if the receiver asked for it."""
    step = SCHEDULE[min(attempts, len(SCHEDULE)) - 1]
    wait = timedelta(seconds=step * random.uniform(1 - JITTER, 1 + JITTER))
    return max(wait, retry_after) if retry_after else wait


def render(
    endpoint: WebhookEndpoint, message: WebhookMessage, settings: WebhookSettings
) -> tuple[bytes, dict]:
    """The body and headers of one attempt: signed JSON, or an unsigned Slack message."""
    if endpoint.format == "slack":
        body = json.dumps(slack.message(message.payload, answer_url=settings.answer_url), ensure_ascii=False)
        return body.encode(), {"content-type": "application/json", "user-agent": "vocservice-webhooks/1"}
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False)
    return body.encode(), signed_headers(signing_secrets(endpoint), message.id, body)


def attempt(session: Session, delivery_id: str, *, settings: WebhookSettings) -> str:
    """Make one attempt at a claimed delivery and record it (the caller commits).

    Returns ``succeeded``, ``retrying``, ``failed``, ``skipped`` (gone or no longer due) or
    ``disabled:<endpoint id>`` (retrying, and the endpoint was just turned off for sustained
    failure)."""
    found = session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)
    ).first()
    if found is None or found[0].status != "pending":
        return "skipped"
    delivery, endpoint = found
    if not endpoint.enabled:
        delivery.lease_until = None
        return "skipped"
    started = utcnow()
    status_code, error, excerpt, headers = None, None, None, {}
    try:
        target = resolve_url(endpoint.url, allow_private=settings.allow_private, resolver=settings.resolver)
        body, request_headers = render(endpoint, delivery.message, settings)
        reply = post_pinned(
            target, body=body, headers=request_headers, verify=settings.verify, excerpt_bytes=EXCERPT_BYTES
        )
        status_code, excerpt, headers = reply.status_code, reply.excerpt, reply.headers
        if 300 <= status_code < 400:
            error = f"redirects are not followed (Location: {headers.get('Location', '')[:200]})"
        elif not 200 <= status_code < 300:
            error = f"HTTP {status_code} from the receiver"
    except Invalid as exc:  # the URL now resolves somewhere we refuse to call
        error = f"refused: {exc.detail}"
    except requests.Timeout:
        error = "timed out waiting for the receiver"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
    finished = utcnow()
    delivery.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            started_at=started,
            status_code=status_code,
            latency_ms=int((finished - started).total_seconds() * 1000),
            error=error[:ERROR_CHARS] if error else None,
            response_excerpt=excerpt or None,
        )
    )
    delivery.lease_until = None
    delivery.last_status_code = status_code
    delivery.last_error = error[:ERROR_CHARS] if error else None
    if error is None:
        delivery.status = "succeeded"
        delivery.delivered_at = finished
        endpoint.failing_since = None
        return "succeeded"
    if status_code == 410:
        delivery.status = "failed"
        _disable(endpoint, "the receiver answered 410 Gone", finished)
        return "failed"
    endpoint.failing_since = endpoint.failing_since or started
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        outcome = "failed"
    else:
        delivery.next_attempt_at = finished + next_attempt_after(
            delivery.attempts, retry_after=_retry_after(headers, finished)
        )
        outcome = "retrying"
    if endpoint.enabled and finished - endpoint.failing_since >= settings.disable_after:
        days = settings.disable_after.total_seconds() / 86400
        _disable(endpoint, f"every delivery failed for {days:g} days", finished)
        return f"disabled:{endpoint.id}" if outcome == "retrying" else outcome
    return outcome


def _disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)


def prune(session: Session, *, now: datetime | None = None, retention: timedelta) -> int:
    """Forget deliveries (with their attempts) older than ``retention``, and messages left with
    no delivery; returns the number of deliveries removed."""
    cutoff = (now or utcnow()) - retention
    removed = session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.created_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    orphan = ~exists().where(WebhookDelivery.message_id == WebhookMessage.id)
    session.execute(
        delete(WebhookMessage)
        .where(WebhookMessage.created_at < cutoff, orphan)
        .execution_options(synchronize_session=False)
    )
    return removed
