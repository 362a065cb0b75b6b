"""Tag corrections: an analyst's verdict that a response does (``add``) or does not
(``remove``) carry a theme.

One row per (response, theme): the latest verdict replaces the previous one, so re-analysis
only has to read a small map per response. The row is the durable truth; the stored analysis and
``response_themes`` are rewritten from it immediately and again after every re-analysis.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveys.base import UTCDateTime, db, new_id, utcnow

ACTIONS = ("add", "remove")


class TagCorrection(db.Model):
    __tablename__ = "tag_corrections"
    __table_args__ = (
        UniqueConstraint("response_id", "theme_id"),
        CheckConstraint("action in ('add','remove')", name="action"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tc"))
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True)
    # The unique (response_id, theme_id) constraint indexes response_id first.
    response_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("responses.id", ondelete="CASCADE"), nullable=False)
    theme_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("themes.id", ondelete="CASCADE"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
