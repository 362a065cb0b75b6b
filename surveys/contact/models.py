"""The contacts table: one row per customer of a workspace, keyed by the sender's external id."""

from datetime import datetime

from sqlalchemy import (
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column


class Contact(db.Model):
    __tablename__ = "contacts"
    __privacy__ = {"action": "delete", "free_text": ["external_id", "email", "name", "attributes"]}
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)
    id: Mapped[str] = id_column("ct")
    # Indexed as the leading column of the (workspace_id, external_id) unique key.
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
