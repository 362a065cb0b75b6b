"""Tables of text analysis: a workspace's themes, the stored analysis of each response, and the
response-to-theme rows that filtering and aggregation read.

``analyses`` holds one row per response and analyser version (a database constraint, so a retried
or duplicated job replaces the row instead of adding one). ``response_themes`` is derived from the
analysis and rewritten with it; it exists so "responses about billing" is an indexed lookup rather
than a scan of JSON.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column
from surveys.response.models import Response


class Theme(db.Model):
    __tablename__ = "themes"
    __privacy__ = {
        "action": "keep",
        "free_text": ["description", "keywords", "keywords_by_language"],
        "why": "staff-written taxonomy",
    }
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = id_column("th")
    # The unique (workspace_id, name) constraint already indexes workspace_id first.
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    keywords: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # Keywords for comments in other languages, by language code: {"fr": ["livraison"], ...}
    # (nlp.foreign_keywords matches them; codes are nlp.foreign_keywords.LANGUAGES).
    keywords_by_language: Mapped[dict] = mapped_column(
        JSONType, default=dict, server_default=text("'{}'"), nullable=False
    )
    parent_id: Mapped[str | None] = fk_column("themes.id", ondelete="SET NULL", nullable=True, index=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class Analysis(db.Model):
    __tablename__ = "analyses"
    __privacy__ = {
        "action": "delete",
        "response": "response_id",
        "free_text": ["themes", "noun_phrases", "cues"],
    }
    __table_args__ = (
        UniqueConstraint("response_id", "analyzer_version"),
        # Theme rollups fold in analyses stored since their last run (migration 0003).
        Index("ix_analyses_created_at", "created_at"),
    )
    id: Mapped[str] = id_column("an")
    response_id: Mapped[str] = fk_column("responses.id")
    analyzer_version: Mapped[str] = mapped_column(String(20), nullable=False)
    # The workspace's taxonomy_version the themes were matched with.
    taxonomy_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Overall sentiment of the comment; null when there is no comment to read.
    sentiment_label: Mapped[str | None] = mapped_column(String(8))
    sentiment_compound: Mapped[float | None] = mapped_column(Float)
    # nlp ThemeHit.to_dict() items: name, sentiment and the quoted evidence with offsets.
    themes: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    noun_phrases: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # What the comment wants (praise|complaint|request|question|other, see nlp.intent); null when
    # there is no comment or the analysis predates intents (migration 0021).
    intent: Mapped[str | None] = mapped_column(String(10), index=True)
    # ISO 639-1 code of the comment's language (nlp.language); only English gets sentiment.
    language: Mapped[str | None] = mapped_column(String(12))
    # nlp Cue.to_dict() items: the quoted words behind a sentiment no word states.
    cues: Mapped[list] = mapped_column(JSONType, default=list, server_default=text("'[]'"), nullable=False)
    # When this analysis was made; a re-analysis replaces the row and this time with it.
    created_at: Mapped[datetime] = created_column()
    # Lazy by default: list endpoints ask for selectinload so a page costs one extra query.
    response: Mapped[Response] = relationship(back_populates="analyses")


class ResponseTheme(db.Model):
    __tablename__ = "response_themes"
    __privacy__ = {"action": "delete", "response": "response_id"}
    __table_args__ = (Index("ix_response_themes_workspace_theme", "workspace_id", "theme_id"),)
    response_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    sentiment_label: Mapped[str] = mapped_column(String(8), nullable=False)
    sentiment_compound: Mapped[float] = mapped_column(Float, nullable=False)
    # What this mention wants (the theme hit's intent, see nlp.intent); null for a theme added by
    # a tag correction and for rows stored before migration 0025 had nothing to copy it from.
    intent: Mapped[str | None] = mapped_column(String(10))


ACTIONS = ("add", "remove")


class TagCorrection(db.Model):
    __tablename__ = "tag_corrections"
    __privacy__ = {"action": "delete", "response": "response_id"}
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


RULE_KINDS = ("exclude", "keyword")
RULE_STATUSES = ("proposed", "active", "undone")


class LearnedRule(db.Model):
    """What corrections taught a workspace about one theme (surveys.analysis.learning): a negative
    context (``exclude``, from removals) or a phrase (``keyword``, proposed on additions)."""

    __tablename__ = "learned_rules"
    # A rule names the answers it was learned from: one learned from an erased person's answer
    # goes with it (the analyst can teach it again from others).
    __privacy__ = {"action": "mentions", "free_text": ["phrase", "response_ids", "reason"]}
    __table_args__ = (
        UniqueConstraint("workspace_id", "theme_id", "kind", "phrase"),
        CheckConstraint("kind in ('exclude','keyword')", name="kind"),
        CheckConstraint("status in ('proposed','active','undone')", name="status"),
    )
    id: Mapped[str] = id_column("lr")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    theme_id: Mapped[str] = fk_column("themes.id", index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    phrase: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    # How many corrections taught it, and which answers they were made on (most recent last).
    corrections: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    response_ids: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    created_by: Mapped[str | None] = fk_column("users.id", ondelete="SET NULL", nullable=True)
    decided_by: Mapped[str | None] = fk_column("users.id", ondelete="SET NULL", nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the service applied or withdrew it by itself (empty when a person or key decided).
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    theme: Mapped[Theme] = relationship(lazy="joined", innerjoin=True)

    @property
    def theme_name(self) -> str:
        return self.theme.name
