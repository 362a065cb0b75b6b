"""Tables of the product roadmap: items, the themes each item addresses, and the links between
items and the responses that ask for them.

``roadmap_links`` has one row per (item, response) and a ``source``: ``auto`` rows are derived
(rewritten by re-mapping), ``manual`` rows are an analyst's decision, and ``excluded`` rows record
that an analyst removed a link, so re-mapping never brings it back. Only ``auto`` and ``manual``
count as linked. ``remap_requested_at`` on an item is the durable record of a re-mapping that is
due, so losing the queue loses nothing (the tick re-enqueues it).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column
from surveys.response.models import Response

STATUSES = ("idea", "planned", "in_progress", "shipped")
LINK_SOURCES = ("auto", "manual", "excluded")
LINKED = ("auto", "manual")


class RoadmapItem(db.Model):
    __tablename__ = "roadmap_items"
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
    item_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("roadmap_items.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RoadmapLink(db.Model):
    __tablename__ = "roadmap_links"
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
    created_at: Mapped[datetime] = created_column()
