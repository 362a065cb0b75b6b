"""Tables of the customer record: a workspace's health settings, one profile per contact (its
health, band, revenue and account, kept so lists sort on indexed columns), one row per account,
and the health history (a row whenever a contact's score or factors change).
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, UTCDateTime, db, fk_column, updated_column


class CustomerSettings(db.Model):
    __tablename__ = "customer_settings"
    __privacy__ = {
        "action": "keep",
        "free_text": ["weights", "bands", "churn_events"],
        "why": "configuration",
    }
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Contacts are grouped into accounts by this attribute (a missing one: no account).
    account_attribute: Mapped[str] = mapped_column(String(100), default="company", nullable=False)
    # factor name -> weight; a factor not named keeps its default weight.
    weights: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # lower bounds of the "watch" and "healthy" bands; below "watch" is "at_risk".
    bands: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    decline_points: Mapped[int] = mapped_column(Integer, default=15, nullable=False)
    decline_days: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    # Journey event names that mean a customer left (e.g. subscription.cancelled).
    churn_events: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    min_churns: Mapped[int] = mapped_column(Integer, default=10, nullable=False)
    # The day the nightly recompute last ran for this workspace.
    nightly_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = updated_column()


class CustomerProfile(db.Model):
    __tablename__ = "customer_profiles"
    __privacy__ = {"action": "delete", "contact": "contact_id", "free_text": ["account_key", "factors"]}
    __table_args__ = (
        # The customer list sorts by each of these within a workspace (keyset on contact_id).
        Index("ix_customer_profiles_health", "workspace_id", "health", "contact_id"),
        Index("ix_customer_profiles_revenue", "workspace_id", "revenue", "contact_id"),
        Index("ix_customer_profiles_last_answer", "workspace_id", "last_answer_at", "contact_id"),
        Index("ix_customer_profiles_account", "workspace_id", "account_key", "contact_id"),
    )
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    account_key: Mapped[str | None] = mapped_column(String(200))
    revenue: Mapped[float | None] = mapped_column(Float)
    health: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    # [{"factor", "value", "weight", "contribution", "note"}] for the factors with data.
    factors: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_category: Mapped[str | None] = mapped_column(String(16))
    declining: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Points lost from the highest score of the decline window (0 when none).
    decline: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The contact's updated_at as read when scored: a later one means new answers or attributes
    # arrived through a set-based write since, and the customer is scored again (the tick and
    # the score_customers job look for these).
    contact_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CustomerAccount(db.Model):
    __tablename__ = "customer_accounts"
    # Figures per company (an attribute value), rebuilt from the profiles that remain.
    __privacy__ = {
        "action": "keep",
        "free_text": ["key", "factors"],
        "why": "aggregates per company, not a person",
    }
    __table_args__ = (
        Index("ix_customer_accounts_health", "workspace_id", "health", "key"),
        Index("ix_customer_accounts_revenue", "workspace_id", "revenue", "key"),
        Index("ix_customer_accounts_last_answer", "workspace_id", "last_answer_at", "key"),
    )
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer, nullable=False)
    revenue: Mapped[float | None] = mapped_column(Float)
    health: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    factors: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    at_risk_contacts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class HealthPoint(db.Model):
    __tablename__ = "health_history"
    __privacy__ = {"action": "delete", "contact": "contact_id", "free_text": ["factors"]}
    __table_args__ = (Index("ix_health_history_workspace_day", "workspace_id", "day"),)
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    score: Mapped[float] = mapped_column(Float, nullable=False)
    # factor name -> value (0-100) that day, so the score can be re-weighed or a factor left out.
    factors: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
