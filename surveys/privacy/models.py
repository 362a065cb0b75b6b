"""Tables of privacy work: erasure requests (the durable record the job and the tick work from)
and the audit log (who asked for an export or an erasure, and when, without the personal data).

An erasure request holds the normalised identifier (``subject``) only until its job finishes;
then the column is cleared, so afterwards the database holds a keyed hash of the person
(:mod:`surveys.contact.suppression`) and nothing else.
"""

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column

STATUSES = ("pending", "done")
SUBJECT_KINDS = ("email", "external_id")
AUDIT_ACTIONS = ("export", "erasure_requested", "erasure_done", "retention")


class ErasureRequest(db.Model):
    __tablename__ = "erasure_requests"
    __privacy__ = {
        "action": "keep",
        "free_text": ["subject", "counts", "last_error"],
        "why": "the identifier is cleared when the erasure is done",
    }
    __table_args__ = (Index("ix_erasure_requests_status", "status"),)
    id: Mapped[str] = id_column("era")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # What went: {"contacts": n, "responses": n, ...}; counts only.
    counts: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    requested_at: Mapped[datetime] = created_column()
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PrivacyAudit(db.Model):
    __tablename__ = "privacy_audit"
    __privacy__ = {"action": "keep", "why": "who asked and when; no personal data of the subject"}
    __table_args__ = (Index("ix_privacy_audit_workspace_at", "workspace_id", "at"),)
    id: Mapped[str] = id_column("pa")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    action: Mapped[str] = mapped_column(String(24), nullable=False)
    # "api_key", "user" or "system" (the tick's retention).
    actor_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    actor_id: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = created_column()
