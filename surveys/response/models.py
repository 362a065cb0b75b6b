"""The responses table: every answer, whichever way it arrived, with the attribute snapshot of who
answered and why, and the durable state of its text analysis. One response per invitation and
one per sender id are database constraints.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.contact.models import Contact
from surveys.core.db import (
    JSONType,
    UTCDateTime,
    created_column,
    db,
    fk_column,
    id_column,
    updated_column,
    utcnow,
)
from surveys.survey.models import Survey

if TYPE_CHECKING:
    from surveys.analysis.models import Analysis
    from surveys.roadmap.models import RoadmapItem


def has_text(comment: str | None) -> bool:
    """Whether a comment holds anything to analyse: an answer without one is marked ``done``
    when it is stored, and never costs an analysis job (the one rule, for the flush listener
    in :mod:`surveys.analysis.tracking` and the set-based writes in :mod:`surveys.response.batch`)."""
    return comment is not None and bool(comment.strip())


class Response(db.Model):
    __tablename__ = "responses"
    __privacy__ = {
        "action": "delete",
        "contact": "contact_id",
        "orm": True,
        "free_text": ["external_id", "comment", "metadata", "attributes", "event_snapshot", "analysis_error"],
    }
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_responses_survey_submitted", "survey_id", "submitted_at"),
        Index("ix_responses_analysis_status", "analysis_status"),
        # The workers' "next pending answers, oldest first" (migration 0009).
        Index(
            "ix_responses_analysis_pending",
            "id",
            postgresql_where=text("analysis_status = 'pending'"),
            sqlite_where=text("analysis_status = 'pending'"),
        ),
        # The feedback explorer and workspace-wide lists read newest first across surveys.
        Index("ix_responses_workspace_submitted", "workspace_id", "submitted_at"),
        # The warehouse export reads a workspace's answers by change time (keyset).
        Index("ix_responses_workspace_updated", "workspace_id", "updated_at", "id"),
        # The tick finalises partial answers left inactive; only those few rows are indexed.
        Index(
            "ix_responses_partial_activity",
            "last_activity_at",
            postgresql_where=text("completed = false"),
            sqlite_where=text("completed = false"),
        ),
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
    # When the respondent last changed this answer (a partial one is finalised after a while
    # without activity: surveys.response.finalise).
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    # Text analysis is durable work owned by the database: pending until a worker stores a
    # result; the sweeper re-enqueues pending rows whose job went missing.
    analysis_status: Mapped[str] = mapped_column(String(8), default="pending", nullable=False)
    analysis_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    analysis_attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Held by the worker analysing it (surveys.analysis.service.LEASE), or the time before which
    # a failed analysis is not retried: a pending answer is free for any worker once it passes.
    analysis_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    analysis_error: Mapped[str | None] = mapped_column(Text)
    survey: Mapped[Survey] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship(lazy="joined")
    # Higher domains' rows about this answer, named by string so this module imports none of
    # them. Lazy by default: list endpoints ask for selectinload so a page costs one extra query.
    analyses: Mapped[list["Analysis"]] = relationship(
        back_populates="response", lazy="select", passive_deletes=True
    )
    # Read-only: the roadmap items the answer is linked to (auto or manual, never excluded),
    # loaded with one extra query per page of answers (selectin) rather than one per answer.
    roadmap_items: Mapped[list["RoadmapItem"]] = relationship(
        secondary="roadmap_links",
        primaryjoin=(
            "and_(Response.id == RoadmapLink.response_id, RoadmapLink.source.in_(('auto', 'manual')))"
        ),
        secondaryjoin="RoadmapLink.item_id == RoadmapItem.id",
        order_by="RoadmapItem.id",
        viewonly=True,
        lazy="selectin",
        back_populates="linked_responses",
    )
