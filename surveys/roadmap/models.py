"""Tables of the product roadmap: items, the themes each item addresses, and the links between
items and the responses that ask for them.

``roadmap_links`` has one row per (item, response) and a ``source``: ``auto`` rows are derived
(rewritten by re-mapping), ``manual`` rows are an analyst's decision, and ``excluded`` rows record
that an analyst removed a link, so re-mapping never brings it back. Only ``auto`` and ``manual``
count as linked. ``remap_requested_at`` on an item is the durable record of a re-mapping that is
due, so losing the queue loses nothing (the tick re-enqueues it).
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column
from surveys.response.models import Response

STATUSES = ("idea", "planned", "in_progress", "shipped")
LINK_SOURCES = ("auto", "manual", "excluded")
LINKED = ("auto", "manual")


class RoadmapItem(db.Model):
    __tablename__ = "roadmap_items"
    __privacy__ = {
        "action": "keep",
        "free_text": ["title", "description", "keywords", "external_ref"],
        "why": "product plans written by staff",
    }
    __table_args__ = (
        # NULLs are distinct, so items without an external reference never clash.
        UniqueConstraint("workspace_id", "external_ref"),
        CheckConstraint("status in ('idea','planned','in_progress','shipped')", name="status"),
        Index("ix_roadmap_items_remap", "remap_requested_at"),
    )
    id: Mapped[str] = id_column("rm")
    # The unique (workspace_id, external_ref) constraint already indexes workspace_id first.
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="idea", nullable=False)
    keywords: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    external_ref: Mapped[str | None] = mapped_column(String(200))
    remap_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the item last became shipped (cleared if it leaves that status): the line between
    # "before" and "after" of its outcome (surveys.roadmap.outcome).
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    theme_links: Mapped[list["RoadmapItemTheme"]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RoadmapItemTheme.theme_id",
    )
    # Read-only and never loaded (lazy="raise"): the other side of Response.roadmap_items. The
    # source condition must stay in step with LINKED.
    linked_responses: Mapped[list[Response]] = relationship(
        secondary="roadmap_links",
        primaryjoin="and_(RoadmapItem.id == RoadmapLink.item_id, RoadmapLink.source.in_(('auto', 'manual')))",
        secondaryjoin="RoadmapLink.response_id == Response.id",
        viewonly=True,
        lazy="raise",
        back_populates="roadmap_items",
    )

    @property
    def theme_ids(self) -> list[str]:
        return [link.theme_id for link in self.theme_links]


class RoadmapItemTheme(db.Model):
    """The themes an item addresses; a deleted theme drops out by cascade."""

    __tablename__ = "roadmap_item_themes"
    __privacy__ = {"action": "keep", "why": "items to themes"}
    item_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("roadmap_items.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RoadmapLink(db.Model):
    __tablename__ = "roadmap_links"
    __privacy__ = {"action": "delete", "response": "response_id", "free_text": ["evidence"]}
    __table_args__ = (
        CheckConstraint("source in ('auto','manual','excluded')", name="source"),
        # Re-mapping and the response's "roadmap_items" look links up by response.
        Index("ix_roadmap_links_response_id", "response_id"),
    )
    item_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("roadmap_items.id", ondelete="CASCADE"), primary_key=True
    )
    response_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    # Why an automatic link exists: the matched words, each with its keyword or theme and offsets
    # into the comment (surveys.roadmap.mapping); empty for manual links and exclusions.
    evidence: Mapped[list] = mapped_column(
        JSONType, default=list, server_default=text("'[]'"), nullable=False
    )
    created_at: Mapped[datetime] = created_column()


# ---- impact rollups (maintained by surveys.roadmap.rollups) ------------------------------------


def _item_fk():
    return mapped_column(String(40), ForeignKey("roadmap_items.id", ondelete="CASCADE"), primary_key=True)


_WINDOW_COLUMNS = ("workspace_id", "item_id", "contact_id", "detractor", "negative", "revenue", "latest")


class RoadmapLinkFact(db.Model):
    """One row per counted link (``auto``/``manual`` to a completed answer) with what impact needs
    of the answer: survey, time, customer, detractor, negative, revenue. No foreign key to
    ``responses`` on purpose: a deleted answer's facts must still be there when the flush
    listener subtracts them."""

    __tablename__ = "roadmap_link_facts"
    __privacy__ = {"action": "delete", "response": "response_id", "contact": "contact_id"}
    __table_args__ = (
        Index("ix_roadmap_link_facts_response_id", "response_id"),
        # Filtered impact (a survey over a time window, as on the dashboard) reads this range,
        # from the index alone (PostgreSQL: the figures are included).
        Index(
            "ix_roadmap_link_facts_survey_time",
            "survey_id",
            "submitted_at",
            postgresql_include=[*_WINDOW_COLUMNS],
        ),
        # Each customer's latest linked answer per item.
        Index("ix_roadmap_link_facts_customer", "item_id", "contact_id", "submitted_at"),
    )
    item_id: Mapped[str] = _item_fk()
    response_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(40), nullable=False)
    survey_id: Mapped[str] = mapped_column(String(40), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    contact_id: Mapped[str | None] = mapped_column(String(40))
    detractor: Mapped[bool] = mapped_column(Boolean, nullable=False)
    negative: Mapped[bool] = mapped_column(Boolean, nullable=False)
    revenue: Mapped[float] = mapped_column(Float, nullable=False)
    # The latest linked answer of its (item, survey, customer) (by time, then id): a window that
    # holds it holds the customer's latest answer of that window, with no sort.
    latest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)


class RoadmapItemCustomer(db.Model):
    """Per item and customer: the revenue of the customer's latest linked answer."""

    __tablename__ = "roadmap_item_customers"
    __privacy__ = {"action": "delete", "contact": "contact_id"}
    item_id: Mapped[str] = _item_fk()
    contact_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    revenue: Mapped[float] = mapped_column(Float, nullable=False)


class RoadmapImpact(db.Model):
    """Per item, all time and every survey: the totals ``?sort=impact`` orders by."""

    __tablename__ = "roadmap_impacts"
    __privacy__ = {"action": "keep", "why": "per-item totals, kept exact by the flush listeners"}
    __table_args__ = (Index("ix_roadmap_impacts_workspace_id", "workspace_id"),)
    item_id: Mapped[str] = _item_fk()
    workspace_id: Mapped[str] = mapped_column(String(40), nullable=False)
    responses: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    detractors: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    negatives: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    customers: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    revenue: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
