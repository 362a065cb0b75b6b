"""Tables of tenancy: workspaces, the people who sign in to the web app, and API keys.

A key belongs to one workspace and has one role (``ROLES``); it is stored hashed.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column

ROLES = ("admin", "analyst", "ingest")
DIGEST_FREQUENCIES = ("off", "daily", "weekly")


class Workspace(db.Model):
    __tablename__ = "workspaces"
    __privacy__ = {
        "action": "keep",
        "free_text": ["name", "allowed_origins", "branding"],
        "why": "tenant settings",
    }
    id: Mapped[str] = id_column("ws")
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Secrets are kept readable (HMACs are verified or made with them) but never shown again
    # after creation or rotation: see surveys.workspace.secrets. Each inbound kind keeps its
    # previous secret valid until ``..._previous_expires_at`` (a rotation's overlap window).
    # Standard Webhooks secret (whsec_...) for signed inbound events and roadmap updates.
    webhook_secret: Mapped[str] = mapped_column(String(100), nullable=False)
    webhook_secret_previous: Mapped[str | None] = mapped_column(String(100))
    webhook_secret_previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Signs outbound deliveries (webhook channel); receivers verify with it, so it must never be
    # the inbound one. During an overlap deliveries carry a signature with each secret.
    outbound_webhook_secret: Mapped[str] = mapped_column(String(100), nullable=False)
    outbound_webhook_secret_previous: Mapped[str | None] = mapped_column(String(100))
    outbound_webhook_secret_previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Key of the widget's contact tokens: HMAC-SHA256(widget_secret, external_id), made by the
    # host site's backend, so a widget answer names a customer only if that site vouches for it.
    widget_secret: Mapped[str] = mapped_column(String(100), nullable=False)
    widget_secret_previous: Mapped[str | None] = mapped_column(String(100))
    widget_secret_previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recontact_days: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    revenue_attribute: Mapped[str] = mapped_column(String(100), default="arr", nullable=False)
    # Bumped whenever the workspace's themes change, so stale analyses can be found.
    taxonomy_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    allowed_origins: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    branding: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # Answers older than this many days lose their personal data (None: kept; surveys.privacy).
    # How many people this workspace suppressed (erased on request): while none, events and
    # answers skip the suppression lookup (surveys.contact.suppression).
    suppressions: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"), nullable=False)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # "anonymise" (comment, snapshot and contact link removed, scores kept) or "delete".
    retention_action: Mapped[str] = mapped_column(
        String(10), default="anonymise", server_default="anonymise", nullable=False
    )
    created_at: Mapped[datetime] = created_column()


class User(db.Model):
    __tablename__ = "users"
    __privacy__ = {
        "action": "keep",
        "free_text": ["email", "password_hash"],
        "why": "staff accounts, not customers",
    }
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        CheckConstraint("digest_frequency in ('off','daily','weekly')", name="digest_frequency"),
    )
    id: Mapped[str] = id_column("usr")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = created_column()
    # A disabled user cannot log in and their sessions are ended (surveys.workspace.sessions).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The user's own choice of digest email (surveys.digest): off until they turn it on.
    digest_frequency: Mapped[str] = mapped_column(
        String(8), default="off", server_default="off", nullable=False
    )


class ApiKey(db.Model):
    __tablename__ = "api_keys"
    __privacy__ = {"action": "keep", "free_text": ["name"], "why": "staff credentials, no customer data"}
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
