"""Tables of the decide step: saved segments, and the daily rollups metrics read at scale.

``daily_rollups`` holds, per workspace, survey, UTC day, touchpoint and one dimension value, the
number of completed answers per score value (``s0`` .. ``s10``) plus how many carried a comment.
Every NPS, CSAT and CES figure and its confidence interval is a function of those counts, so
summing rows gives exactly what a GROUP BY over the raw responses would. The dimension ``""``
(value ``""``) is the total; ``attributes.plan`` and the like split the same answers by one
snapshot attribute. ``theme_rollups`` does the same per theme (from ``response_themes``) with
the theme's sentiment counts. ``rollup_marks`` remembers how far theme rollups are up to date
(migration 0003 also indexes ``analyses.created_at`` for that freshness check; the index is
declared there, not on the model, which belongs to the analysis step).
"""

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, created_column, db, fk_column, id_column, updated_column


class Segment(db.Model):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = id_column("seg")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    conditions: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
