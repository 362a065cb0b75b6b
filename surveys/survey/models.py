"""Tables of what is asked and when: surveys (kind, question, translations) and touchpoints (the
journey event that triggers a survey, its channel, delay, sampling, conditions and cancellations).
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, created_column, db, fk_column, id_column, updated_column

SURVEY_KINDS = ("nps", "csat", "ces")
SURVEY_STATUSES = ("draft", "active", "closed")
CHANNELS = ("email", "link", "webhook")


class Survey(db.Model):
    __tablename__ = "surveys"
    __privacy__ = {
        "action": "keep",
        "free_text": ["name", "question", "comment_prompt", "translations"],
        "why": "staff-written questions",
    }
    __table_args__ = (CheckConstraint("kind in ('nps','csat','ces')", name="kind"),)
    id: Mapped[str] = id_column("sv")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    comment_prompt: Mapped[str] = mapped_column(Text, default="", nullable=False)
    locale: Mapped[str] = mapped_column(String(16), default="en", nullable=False)
    translations: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    status: Mapped[str] = mapped_column(String(8), default="active", nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class Touchpoint(db.Model):
    __tablename__ = "touchpoints"
    __privacy__ = {
        "action": "keep",
        "free_text": ["name", "event", "webhook_url", "conditions", "cancel_on"],
        "why": "configuration",
    }
    id: Mapped[str] = id_column("tp")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    survey_id: Mapped[str] = fk_column("surveys.id", index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    event: Mapped[str] = mapped_column(String(200), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    delay_seconds: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sample_rate: Mapped[float] = mapped_column(Float, default=1.0, nullable=False)
    recontact_days: Mapped[int | None] = mapped_column(Integer)
    expires_after_days: Mapped[int] = mapped_column(Integer, default=14, nullable=False)
    reminder_after_days: Mapped[int | None] = mapped_column(Integer)
    conditions: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    cancel_on: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = created_column()
    survey: Mapped[Survey] = relationship(lazy="joined")
