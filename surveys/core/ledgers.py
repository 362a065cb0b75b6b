"""Ledgers of requests already seen: Idempotency-Key records and inbound webhook message ids.

Both are unique per workspace, so a concurrent duplicate fails at the database; the tick prunes
them after their retention (24 hours and 8 days).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, created_column, db, fk_column


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __privacy__ = {"action": "mentions", "free_text": ["key", "body"]}
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = created_column()


class WebhookReceipt(db.Model):
    """Inbound Standard Webhooks message ids, kept at least 7 days to refuse replays."""

    __tablename__ = "webhook_receipts"
    __privacy__ = {"action": "keep", "free_text": ["message_id"], "why": "senders' message ids"}
    __table_args__ = (UniqueConstraint("workspace_id", "message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    message_id: Mapped[str] = mapped_column(String(200), nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = created_column()
