"""The journey events table: stored once per sender id (a unique constraint), so retries are safe."""

from datetime import datetime

from sqlalchemy import (
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column


class Event(db.Model):
    __tablename__ = "events"
    __privacy__ = {
        "action": "delete",
        "contact": "contact_id",
        "free_text": ["external_id", "name", "properties"],
    }
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        # The funnel counts one workspace's events of a name over a date range.
        Index("ix_events_workspace_name_received", "workspace_id", "name", "received_at"),
    )
    id: Mapped[str] = id_column("evt")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    received_at: Mapped[datetime] = created_column()
    contact_id: Mapped[str] = fk_column("contacts.id", index=True)
    properties: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
