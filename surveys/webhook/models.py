"""Outbound webhooks: endpoints, the outbox of messages, deliveries and their attempts.

A message is one event (``response.detractor`` for one answer, say) with its payload, written in
the same transaction as the change that caused it. Each endpoint subscribed to its type gets a
delivery row in that transaction too: the delivery row is the outbox entry an RQ job takes, with
its own state, attempt count, next attempt time and lease. Every attempt is kept with its status
code, latency, error and a bounded excerpt of the reply, for the delivery log.
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column

FORMATS = ("standard", "slack")
# pending -> succeeded | failed (given up, or the receiver answered 410).
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"
    __privacy__ = {
        "action": "keep",
        "free_text": ["url", "description", "events", "disabled_reason"],
        "why": "configuration",
    }
    id: Mapped[str] = id_column("ep")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    events: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    format: Mapped[str] = mapped_column(String(10), default="standard", nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Why the service turned it off (410 Gone, sustained failure); None when a person did.
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    secret_previous: Mapped[str | None] = mapped_column(String(100))
    secret_previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Since when every attempt has failed (None after a success): sustained failure disables.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class WebhookMessage(db.Model):
    __tablename__ = "webhook_messages"
    __privacy__ = {"action": "mentions", "free_text": ["payload"]}
    __table_args__ = (Index("ix_webhook_messages_created", "created_at"),)
    id: Mapped[str] = id_column("msg")  # the webhook-id header: the receiver's deduplication key
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    event_type: Mapped[str] = mapped_column(String(40), nullable=False)
    # The whole envelope as sent: {"id", "type", "version", "timestamp", "data"}.
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = created_column()


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __privacy__ = {"action": "mentions", "free_text": ["last_error"]}
    __table_args__ = (
        # What the delivery job looks for: only pending rows are indexed.
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )
    id: Mapped[str] = id_column("dlv")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    endpoint_id: Mapped[str] = fk_column("webhook_endpoints.id")
    message_id: Mapped[str] = fk_column("webhook_messages.id", index=True)
    event_type: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # A worker holds the row until then; a dead worker's row is taken again after it.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    message: Mapped[WebhookMessage] = relationship(lazy="joined")
    attempt_log: Mapped[list["WebhookAttempt"]] = relationship(
        order_by="WebhookAttempt.number", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"
    __privacy__ = {"action": "mentions", "free_text": ["error", "response_excerpt"]}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    # At most EXCERPT_BYTES of the reply, decoded leniently: enough to see what the receiver said.
    response_excerpt: Mapped[str | None] = mapped_column(Text)
