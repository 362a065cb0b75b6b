"""Alert rules, the alerts they fired, and the detractor signals the detractor rules consume.

A rule watches one survey (optionally in a saved segment) for one ``kind`` of deviation. Each
firing is an :class:`Alert`, unique per rule and ``window_key`` (a database constraint, written
with ``INSERT ... ON CONFLICT DO NOTHING``), so a tick re-run after being killed, or two ticks at
once, never alert twice. The alert row is also the outbox of its email: ``email_status`` says
whether the recipients have been told, and the tick re-asks for the sending job while it is
``pending``. :class:`AlertSignal` is one detractor-level answer, recorded once (unique per answer)
in the transaction that made it final, so a detractor rule counts each answer exactly once,
however often the answer changes afterwards.
"""

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from surveys.core.db import JSONType, UTCDateTime, created_column, db, fk_column, id_column, updated_column

KINDS = ("detractor", "score_drop", "theme_spike", "no_response")
BASELINES = ("previous", "trailing")
MEASURES = ("mentions", "negative_share")
EMAIL_STATUSES = ("none", "pending", "sent", "failed")


class AlertRule(db.Model):
    __tablename__ = "alert_rules"
    __privacy__ = {
        "action": "keep",
        "free_text": ["name", "account", "notify", "last_outcome"],
        "why": "configuration and staff recipients",
    }
    id: Mapped[str] = id_column("alr")
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    survey_id: Mapped[str | None] = fk_column("surveys.id", nullable=True)
    segment_id: Mapped[str | None] = fk_column("segments.id", nullable=True)
    theme_id: Mapped[str | None] = fk_column("themes.id", nullable=True)
    touchpoint_id: Mapped[str | None] = fk_column("touchpoints.id", nullable=True)
    # no_response: {"attribute": "company", "value": "Acme"}, the account that must keep answering.
    account: Mapped[dict | None] = mapped_column(JSONType)
    window_days: Mapped[int] = mapped_column(Integer, default=7, nullable=False)
    baseline: Mapped[str] = mapped_column(String(10), default="previous", nullable=False)
    baseline_windows: Mapped[int] = mapped_column(Integer, default=4, nullable=False)
    min_responses: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    significance: Mapped[float] = mapped_column(Float, default=0.05, nullable=False)
    k_sigma: Mapped[float] = mapped_column(Float, default=2.0, nullable=False)
    measure: Mapped[str] = mapped_column(String(20), default="mentions", nullable=False)
    # {"emails": [users' addresses], "webhook_endpoint_ids": [...]}
    notify: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # detractor rules: the last AlertSignal.id already counted.
    signal_cursor: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the latest evaluation found, e.g. why it did not fire ("too few answers ...").
    last_outcome: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class Alert(db.Model):
    __tablename__ = "alerts"
    # An alert quotes up to three answers (their ids, comments and links): one that quotes an
    # erased person's answer goes with it, so no quote of theirs survives in the history.
    __privacy__ = {
        "action": "mentions",
        "free_text": [
            "window_key",
            "title",
            "figures",
            "ci95",
            "examples",
            "evidence_path",
            "emailed_to",
            "email_error",
        ],
    }
    __table_args__ = (
        UniqueConstraint("rule_id", "window_key"),
        Index("ix_alerts_workspace_id_id", "workspace_id", "id"),
        Index(
            "ix_alerts_email_pending",
            "fired_at",
            postgresql_where=text("email_status = 'pending'"),
            sqlite_where=text("email_status = 'pending'"),
        ),
    )
    id: Mapped[str] = id_column("alt")
    workspace_id: Mapped[str] = fk_column("workspaces.id")
    rule_id: Mapped[str] = fk_column("alert_rules.id", index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    window_key: Mapped[str] = mapped_column(String(120), nullable=False)
    window_from: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    window_to: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    figures: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    p_value: Mapped[float | None] = mapped_column(Float)
    difference: Mapped[float | None] = mapped_column(Float)
    ci95: Mapped[list | None] = mapped_column(JSONType)
    # Up to three quoted answers: [{"response_id", "score", "comment"}].
    examples: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    evidence_path: Mapped[str] = mapped_column(Text, nullable=False)
    email_status: Mapped[str] = mapped_column(String(10), default="none", nullable=False)
    emailed_to: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    email_error: Mapped[str | None] = mapped_column(String(500))
    email_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class AlertSignal(db.Model):
    __tablename__ = "alert_signals"
    __privacy__ = {"action": "delete", "response": "response_id"}
    __table_args__ = (UniqueConstraint("response_id"), Index("ix_alert_signals_created", "created_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = fk_column("workspaces.id", index=True)
    survey_id: Mapped[str] = fk_column("surveys.id")
    response_id: Mapped[str] = fk_column("responses.id")
    created_at: Mapped[datetime] = created_column()
