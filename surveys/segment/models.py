"""The segments table: a workspace's named conditions over the answers' attribute snapshots."""

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, created_column, db, fk_column, id_column, updated_column


class Segment(db.Model):
    __tablename__ = "segments"
    __privacy__ = {
        "action": "keep",
        "free_text": ["description", "conditions"],
        "why": "staff-written definitions",
    }
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = id_column("seg")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    conditions: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
