"""alert rules, alerts (one per rule and window) and detractor signals (issue 10)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _fk(name, target, nullable=False):
    return sa.Column(name, sa.String(40), sa.ForeignKey(target, ondelete="CASCADE"), nullable=nullable)


def upgrade():
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(40), primary_key=True),
        _fk("workspace_id", "workspaces.id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _fk("survey_id", "surveys.id", nullable=True),
        _fk("segment_id", "segments.id", nullable=True),
        _fk("theme_id", "themes.id", nullable=True),
        _fk("touchpoint_id", "touchpoints.id", nullable=True),
        sa.Column("account", _JSON),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.String(10), nullable=False),
        sa.Column("baseline_windows", sa.Integer(), nullable=False),
        sa.Column("min_responses", sa.Integer(), nullable=False),
        sa.Column("significance", sa.Float(), nullable=False),
        sa.Column("k_sigma", sa.Float(), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("notify", _JSON, nullable=False),
        sa.Column("signal_cursor", sa.Integer(), nullable=False),
        sa.Column("last_evaluated_at", _TIME),
        sa.Column("last_outcome", _JSON, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_index("ix_alert_rules_workspace_id", "alert_rules", ["workspace_id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        _fk("workspace_id", "workspaces.id"),
        _fk("rule_id", "alert_rules.id"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("window_key", sa.String(120), nullable=False),
        sa.Column("window_from", _TIME, nullable=False),
        sa.Column("window_to", _TIME, nullable=False),
        sa.Column("fired_at", _TIME, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("figures", _JSON, nullable=False),
        sa.Column("p_value", sa.Float()),
        sa.Column("difference", sa.Float()),
        sa.Column("ci95", _JSON),
        sa.Column("examples", _JSON, nullable=False),
        sa.Column("evidence_path", sa.Text(), nullable=False),
        sa.Column("email_status", sa.String(10), nullable=False),
        sa.Column("emailed_to", _JSON, nullable=False),
        sa.Column("email_error", sa.String(500)),
        sa.Column("email_enqueued_at", _TIME),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.UniqueConstraint("rule_id", "window_key", name="uq_alerts_rule_id_window_key"),
    )
    op.create_index("ix_alerts_rule_id", "alerts", ["rule_id"])
    op.create_index("ix_alerts_workspace_id_id", "alerts", ["workspace_id", "id"])
    op.create_index(
        "ix_alerts_email_pending",
        "alerts",
        ["fired_at"],
        postgresql_where=sa.text("email_status = 'pending'"),
        sqlite_where=sa.text("email_status = 'pending'"),
    )
    op.create_table(
        "alert_signals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _fk("workspace_id", "workspaces.id"),
        _fk("survey_id", "surveys.id"),
        _fk("response_id", "responses.id"),
        sa.Column("created_at", _TIME, nullable=False),
        sa.UniqueConstraint("response_id", name="uq_alert_signals_response_id"),
    )
    op.create_index("ix_alert_signals_workspace_id", "alert_signals", ["workspace_id"])
    op.create_index("ix_alert_signals_created", "alert_signals", ["created_at"])


def downgrade():
    op.drop_table("alert_signals")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
