"""Tables of the inner loop: a workspace's case rules, the cases they open (one per answer, a
database constraint) and each case's append-only notes.

A case names its answer (``response_id``) and customer (``contact_id``) with cascading foreign
keys, so erasing a customer or an answer takes their cases with them.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column

if TYPE_CHECKING:
    from surveys.response.models import Response

STATUSES = ("open", "contacted", "resolved", "closed_no_action")
OPEN_STATUSES = ("open", "contacted")
CLOSED_STATUSES = ("resolved", "closed_no_action")
ASSIGN_MODES = ("none", "round_robin", "attribute")


class CaseRule(db.Model):
    __tablename__ = "case_rules"
    __privacy__ = {"action": "keep", "free_text": ["name", "assignee_ids"], "why": "configuration"}
    id: Mapped[str] = id_column("crl")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Optional narrowing; a rule whose segment, survey or theme is deleted goes with it.
    survey_id: Mapped[str | None] = fk_column("surveys.id", nullable=True)
    segment_id: Mapped[str | None] = fk_column("segments.id", nullable=True)
    theme_id: Mapped[str | None] = fk_column("themes.id", nullable=True)
    negative_sentiment: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Who owns a new case: nobody, the next of ``assignee_ids`` in turn, or the user whose email
    # is in the answer's contact attribute ``owner_attribute`` (else round-robin, else nobody).
    assign: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    assignee_ids: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    owner_attribute: Mapped[str | None] = mapped_column(String(100))
    rr_cursor: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sla_hours: Mapped[int] = mapped_column(Integer, default=48, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    @property
    def needs_analysis(self) -> bool:
        """Whether the rule can only decide once the answer's text analysis has landed."""
        return self.theme_id is not None or self.negative_sentiment


class Case(db.Model):
    __tablename__ = "cases"
    # A case is about one answer: it goes with the answer (its notes with it, by cascade).
    __privacy__ = {
        "action": "delete",
        "response": "response_id",
        "contact": "contact_id",
        "free_text": ["resolution"],
    }
    __table_args__ = (
        CheckConstraint("status in ('open','contacted','resolved','closed_no_action')", name="status"),
        Index("ix_cases_workspace_status", "workspace_id", "status"),
        # The tick looks for open cases past their due time that were never reported overdue.
        Index(
            "ix_cases_overdue_due",
            "due_at",
            postgresql_where=text("status = 'open' AND overdue_notified_at IS NULL"),
            sqlite_where=text("status = 'open' AND overdue_notified_at IS NULL"),
        ),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    rule_id: Mapped[str | None] = fk_column("case_rules.id", ondelete="SET NULL", nullable=True, index=True)
    # One case per answer, whatever opens it and however often.
    response_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("responses.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    contact_id: Mapped[str | None] = fk_column("contacts.id", nullable=True, index=True)
    survey_id: Mapped[str] = fk_column("surveys.id", index=True)
    owner_id: Mapped[str | None] = fk_column("users.id", ondelete="SET NULL", nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(String(500))
    # Owner emails are coalesced: set here, sent and cleared by the notify_case_owners job.
    assignment_notice_pending: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    overdue_notice_pending: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    response: Mapped["Response"] = relationship("Response", lazy="joined")
    notes: Mapped[list["CaseNote"]] = relationship(
        back_populates="case", order_by="CaseNote.id", lazy="selectin", passive_deletes=True
    )


class CaseNote(db.Model):
    __tablename__ = "case_notes"
    # Deleted with their case (ON DELETE CASCADE); a note elsewhere naming the person goes too.
    __privacy__ = {"action": "mentions", "free_text": ["author", "body"]}
    id: Mapped[str] = id_column("cnt")
    case_id: Mapped[str] = fk_column("cases.id", index=True)
    author_id: Mapped[str | None] = fk_column("users.id", ondelete="SET NULL", nullable=True)
    # Kept as text too, so a note still says who wrote it after that user is removed.
    author: Mapped[str] = mapped_column(String(320), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_column()
    case: Mapped[Case] = relationship(back_populates="notes")


class RescueFact(db.Model):
    """One row per detractor-level answer a customer gave (completed, scored, with a contact):
    its score, the score of the same customer's next completed scored answer to the same survey
    (by ``submitted_at``, then id; none yet: NULL) and whether it has a case. What the rescue
    rate counts (:func:`surveys.case.stats.rescue`), kept exact by :mod:`surveys.case.rescue`."""

    __tablename__ = "rescue_facts"
    # Derived from the answer (goes with it, by cascade) and names its customer.
    __privacy__ = {"action": "delete", "response": "response_id", "contact": "contact_id"}
    __table_args__ = (
        # The rescue rate reads one workspace's facts over a period, from the index alone (it
        # carries every column the rate counts: 14 ms instead of 45 for 90 days at 1M answers).
        Index(
            "ix_rescue_facts_workspace_submitted",
            "workspace_id",
            "submitted_at",
            "has_case",
            "score",
            "next_score",
        ),
        # Upkeep recomputes whole customers' facts.
        Index("ix_rescue_facts_contact_id", "contact_id"),
    )
    response_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = mapped_column(String(40), nullable=False)
    survey_id: Mapped[str] = mapped_column(String(40), nullable=False)
    contact_id: Mapped[str] = mapped_column(String(40), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    next_score: Mapped[int | None] = mapped_column(Integer)
    has_case: Mapped[bool] = mapped_column(Boolean, nullable=False)
