"""Tag corrections: an analyst's verdict that a response does (``add``) or does not
(``remove``) carry a theme.

One row per (response, theme): the latest verdict replaces the previous one, so re-analysis
only has to read a small map per response. The row is the durable truth; the stored analysis and
``response_themes`` are rewritten from it immediately and again after every re-analysis.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveys.base import created_column, db, fk_column, id_column

ACTIONS = ("add", "remove")


class TagCorrection(db.Model):
    __tablename__ = "tag_corrections"
    __table_args__ = (
        UniqueConstraint("response_id", "theme_id"),
        CheckConstraint("action in ('add','remove')", name="action"),
    )
    id: Mapped[str] = id_column("tc")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    # The unique (response_id, theme_id) constraint indexes response_id first.
    response_id: Mapped[str] = fk_column("responses.id")
    theme_id: Mapped[str] = fk_column("themes.id", index=True)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    user_id: Mapped[str | None] = fk_column("users.id", ondelete="SET NULL", nullable=True)
    created_at: Mapped[datetime] = created_column()
