"""The digests table: one row per user and period, the outbox of digest email.

The unique (user, frequency, period start) key is what makes the tick safe to re-run or kill:
planning a period again inserts nothing, and a row's ``status`` says whether its email went out
(``sent``), was not needed (``skipped``, with the reason), is waiting (``pending``, retried with
backoff from ``next_attempt_at``), is being sent (``sending``) or was given up (``failed``).
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import UTCDateTime, created_column, db, fk_column, id_column

FREQUENCIES = ("daily", "weekly")
STATUSES = ("pending", "sending", "sent", "skipped", "failed")


class Digest(db.Model):
    __tablename__ = "digests"
    # The email is built when it is sent and not kept: a row names a staff user and a period.
    __privacy__ = {
        "action": "keep",
        "free_text": ["reason", "last_error"],
        "why": "staff digests; no customer text is stored",
    }
    __table_args__ = (
        CheckConstraint("frequency in ('daily','weekly')", name="frequency"),
        CheckConstraint("status in ('pending','sending','sent','skipped','failed')", name="status"),
        UniqueConstraint("user_id", "frequency", "period_start"),
        Index("ix_digests_due", "status", "next_attempt_at"),
    )
    id: Mapped[str] = id_column("dg")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    user_id: Mapped[str] = fk_column("users.id")
    frequency: Mapped[str] = mapped_column(String(8), nullable=False)
    # The period is [period_start, period_end) in UTC days.
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
