"""Tables of the collection loop: workspaces and their keys, surveys, touchpoints, contacts,
journey events, invitations and responses, plus the idempotency and webhook-receipt ledgers.

Uniqueness that protects correctness is a database constraint: one event per sender id, one
invitation per touchpoint and event, one response per invitation, one webhook id per workspace.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.base import (
    JSONType,
    UTCDateTime,
    created_column,
    db,
    fk_column,
    id_column,
    updated_column,
)

ROLES = ("admin", "analyst", "ingest")
SURVEY_KINDS = ("nps", "csat", "ces")
SURVEY_STATUSES = ("draft", "active", "closed")
CHANNELS = ("email", "link", "webhook")
# scheduled -> sending -> sent -> responded; or suppressed / cancelled / expired / failed.
INVITATION_STATUSES = (
    "scheduled", "sending", "sent", "responded", "suppressed", "cancelled", "expired", "failed",
)


class Workspace(db.Model):
    __tablename__ = "workspaces"
    id: Mapped[str] = id_column("ws")
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Standard Webhooks secret (whsec_...) for signed inbound events; kept readable to verify.
    webhook_secret: Mapped[str] = mapped_column(String(100), nullable=False)
    recontact_days: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    revenue_attribute: Mapped[str] = mapped_column(String(100), default="arr", nullable=False)
    # Bumped whenever the workspace's themes change, so stale analyses can be found.
    taxonomy_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    allowed_origins: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    branding: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    created_at: Mapped[datetime] = created_column()


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)
    id: Mapped[str] = id_column("usr")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = created_column()


class ApiKey(db.Model):
    __tablename__ = "api_keys"
    id: Mapped[str] = id_column("key")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = created_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    workspace: Mapped[Workspace] = relationship(lazy="joined")


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)
    id: Mapped[str] = id_column("ct")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class Survey(db.Model):
    __tablename__ = "surveys"
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


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)
    id: Mapped[str] = id_column("evt")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    received_at: Mapped[datetime] = created_column()
    contact_id: Mapped[str] = fk_column("contacts.id", index=True)
    properties: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("touchpoint_id", "event_id"),
        Index("ix_invitations_due", "status", "scheduled_for"),
        Index("ix_invitations_contact_recent", "contact_id", "scheduled_for"),
    )
    id: Mapped[str] = id_column("inv")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    contact_id: Mapped[str] = fk_column("contacts.id")
    survey_id: Mapped[str] = fk_column("surveys.id", index=True)
    touchpoint_id: Mapped[str | None] = fk_column("touchpoints.id", nullable=True)
    event_id: Mapped[str | None] = fk_column("events.id", nullable=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(64))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a job for this row is put on the queue; the sweeper re-enqueues stale ones.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    contact: Mapped[Contact] = relationship(lazy="joined")
    survey: Mapped[Survey] = relationship(lazy="joined")
    touchpoint: Mapped[Touchpoint | None] = relationship()


class Response(db.Model):
    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_responses_survey_submitted", "survey_id", "submitted_at"),
        Index("ix_responses_analysis_status", "analysis_status"),
        # The feedback explorer and workspace-wide lists read newest first across surveys.
        Index("ix_responses_workspace_submitted", "workspace_id", "submitted_at"),
    )
    id: Mapped[str] = id_column("rsp")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    survey_id: Mapped[str] = fk_column("surveys.id")
    invitation_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invitations.id", ondelete="SET NULL"), unique=True
    )
    contact_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    touchpoint_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("touchpoints.id", ondelete="SET NULL"), index=True
    )
    # The sender's id for responses posted through the API (idempotency).
    external_id: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    completed: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Secret that lets the widget add its comment to a response it created.
    edit_token: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    meta: Mapped[dict] = mapped_column("metadata", JSONType, default=dict, nullable=False)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    event_snapshot: Mapped[dict | None] = mapped_column(JSONType)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    # Text analysis is durable work owned by the database: pending until a worker stores a
    # result; the sweeper re-enqueues pending rows whose job went missing.
    analysis_status: Mapped[str] = mapped_column(String(8), default="pending", nullable=False)
    analysis_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    analysis_attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    analysis_error: Mapped[str | None] = mapped_column(Text)
    survey: Mapped[Survey] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship(lazy="joined")


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
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
    __table_args__ = (UniqueConstraint("workspace_id", "message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    message_id: Mapped[str] = mapped_column(String(200), nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = created_column()


import surveys.analysis_models  # noqa: E402,F401 - registers the analysis tables with the models
import surveys.correction_models  # noqa: E402,F401 - registers the tag corrections table
import surveys.roadmap_models  # noqa: E402,F401 - roadmap items, their themes and links
import surveys.rollups  # noqa: E402,F401 - segment and rollup tables, rollup upkeep on flush
