"""Tables metrics read at scale: daily rollups, theme rollups and the theme rollups' freshness mark.

``daily_rollups`` holds, per workspace, survey, UTC day, touchpoint and one dimension value, the
number of completed answers per score value (``s0`` .. ``s10``) plus how many carried a comment.
Every NPS, CSAT and CES figure and its confidence interval is a function of those counts, so
summing rows gives exactly what a GROUP BY over the raw responses would. The dimension ``""``
(value ``""``) is the total; ``attributes.plan`` and the like split the same answers by one
snapshot attribute. ``theme_rollups`` does the same per theme (from ``response_themes``) with
the theme's sentiment and intent counts, over all answers (``segment_key`` "") and again over each saved
segment's answers (``segment_key`` the segment's id). ``rollup_dims`` lists the dimensions kept
beyond the built-in ones: a saved segment (``segment.<id>``, value "") or an attribute someone
grouped by (``attributes.<name>``). ``rollup_marks`` remembers how far theme rollups are up to date
(migration 0003 also indexes ``analyses.created_at`` for that freshness check; the index is
declared there, not on the model, which belongs to the analysis step).
"""

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, UTCDateTime, db, fk_column

SCORE_COLUMNS = tuple(f"s{value}" for value in range(11))
# Theme mentions per intent (nlp.intent), by the intent they count; "other" (and a mention stored
# before intents existed) is what is left of ``mentions`` (migration 0025).
INTENT_COLUMNS = {
    "request": "intent_request",
    "complaint": "intent_complaint",
    "question": "intent_question",
    "praise": "intent_praise",
}


# s0 .. s10: answers per score value. Declared on a mixin because declarative mapping reads the
# class body when the class is created.
ScoreCounts = type(
    "ScoreCounts", (), {name: mapped_column(Integer, default=0, nullable=False) for name in SCORE_COLUMNS}
)


class DailyRollup(ScoreCounts, db.Model):
    __tablename__ = "daily_rollups"
    __privacy__ = {
        "action": "keep",
        "free_text": ["value"],
        "why": "counts; kept exact by the flush listeners",
    }
    # The unique key leads with survey and day: every read filters on both.
    __table_args__ = (
        UniqueConstraint(
            "survey_id",
            "day",
            "dim",
            "value",
            "touchpoint_key",
            "workspace_id",
            name="uq_daily_rollups_survey_id",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    survey_id: Mapped[str] = fk_column("surveys.id")
    day: Mapped[date] = mapped_column(Date, nullable=False)
    # "" when the answer came without a touchpoint (API, widget): NULL would defeat the key.
    touchpoint_key: Mapped[str] = mapped_column(String(40), nullable=False)
    dim: Mapped[str] = mapped_column(String(120), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    responses: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    commented: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class ThemeRollup(ScoreCounts, db.Model):
    __tablename__ = "theme_rollups"
    __privacy__ = {"action": "keep", "why": "counts; kept exact by the flush listeners"}
    __table_args__ = (
        UniqueConstraint("survey_id", "day", "segment_key", "theme_id", name="uq_theme_rollups_survey_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    survey_id: Mapped[str] = fk_column("surveys.id")
    day: Mapped[date] = mapped_column(Date, nullable=False)
    # "" for all answers, else the id of the saved segment whose answers the row counts.
    segment_key: Mapped[str] = mapped_column(String(40), default="", server_default="", nullable=False)
    theme_id: Mapped[str] = fk_column("themes.id", index=True)
    mentions: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    positive: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    neutral: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    negative: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    compound_sum: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    intent_request: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    intent_complaint: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    intent_question: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    intent_praise: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)


class RollupDim(db.Model):
    """A dimension the daily rollups keep for one workspace beyond ``ROLLUP_ATTRIBUTES``: built
    from the raw rows when added, then kept by the same deltas as the built-in ones."""

    __tablename__ = "rollup_dims"
    __privacy__ = {"action": "keep", "why": "dimension names"}
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    dim: Mapped[str] = mapped_column(String(120), primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class RollupMark(db.Model):
    """How far a derived table is up to date, e.g. theme rollups up to an analysis time."""

    __tablename__ = "rollup_marks"
    __privacy__ = {"action": "keep", "free_text": ["info"], "why": "bookkeeping of derived tables"}
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    info: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
