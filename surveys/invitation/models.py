"""The invitations table, which is also the outbox of survey delivery.

Each row carries its own delivery state (``INVITATION_STATUSES``): one invitation per touchpoint
and event, and a suppressed send is a row too, with its reason.
"""

from datetime import datetime

from sqlalchemy import (
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.contact.models import Contact
from surveys.core.db import UTCDateTime, created_column, db, fk_column, id_column
from surveys.survey.models import Survey, Touchpoint
from surveys.workspace.models import Workspace

# scheduled -> sending -> sent -> responded; or suppressed / cancelled / expired / failed.
INVITATION_STATUSES = (
    "scheduled",
    "sending",
    "sent",
    "responded",
    "suppressed",
    "cancelled",
    "expired",
    "failed",
)


class Invitation(db.Model):
    __tablename__ = "invitations"
    __privacy__ = {"action": "delete", "contact": "contact_id", "free_text": ["last_error"]}
    __table_args__ = (
        UniqueConstraint("touchpoint_id", "event_id"),
        Index("ix_invitations_due", "status", "scheduled_for"),
        Index("ix_invitations_contact_recent", "contact_id", "scheduled_for"),
        # The funnel reads one workspace's invitations of a date range.
        Index("ix_invitations_workspace_created", "workspace_id", "created_at"),
    )
    id: Mapped[str] = id_column("inv")
    # Indexed as the leading column of ix_invitations_workspace_created.
    workspace_id: Mapped[str] = fk_column("workspaces.id")
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
    # When a person first had the hosted form in front of them: set by the page's script or a
    # press of its buttons, never by a plain GET (mail scanners fetch every link).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a job for this row is put on the queue; the sweeper re-enqueues stale ones.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    contact: Mapped[Contact] = relationship(lazy="joined")
    survey: Mapped[Survey] = relationship(lazy="joined")
    touchpoint: Mapped[Touchpoint | None] = relationship()
    # Not loaded with the row: the hosted form asks for it (its branding) in the same statement.
    workspace: Mapped[Workspace] = relationship()
