"""customer record, accounts and health history (issue 11)

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _workspace(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "workspace_id",
        sa.String(40),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _contact() -> sa.Column:
    return sa.Column(
        "contact_id", sa.String(40), sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )


def upgrade():
    op.create_table(
        "customer_settings",
        _workspace(primary_key=True),
        sa.Column("account_attribute", sa.String(100), nullable=False),
        sa.Column("weights", _JSON, nullable=False),
        sa.Column("bands", _JSON, nullable=False),
        sa.Column("decline_points", sa.Integer(), nullable=False),
        sa.Column("decline_days", sa.Integer(), nullable=False),
        sa.Column("churn_events", _JSON, nullable=False),
        sa.Column("min_churns", sa.Integer(), nullable=False),
        sa.Column("nightly_on", sa.Date()),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_table(
        "customer_profiles",
        _contact(),
        _workspace(),
        sa.Column("account_key", sa.String(200)),
        sa.Column("revenue", sa.Float()),
        sa.Column("health", sa.Float()),
        sa.Column("band", sa.String(16)),
        sa.Column("factors", _JSON, nullable=False),
        sa.Column("last_answer_at", _TIME),
        sa.Column("latest_category", sa.String(16)),
        sa.Column("declining", sa.Boolean(), nullable=False),
        sa.Column("decline", sa.Float()),
        sa.Column("computed_at", _TIME, nullable=False),
        sa.Column("contact_updated_at", _TIME),
    )
    for name, column in (
        ("health", "health"),
        ("revenue", "revenue"),
        ("last_answer", "last_answer_at"),
        ("account", "account_key"),
    ):
        op.create_index(
            f"ix_customer_profiles_{name}", "customer_profiles", ["workspace_id", column, "contact_id"]
        )
    op.create_table(
        "customer_accounts",
        _workspace(primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float()),
        sa.Column("health", sa.Float()),
        sa.Column("band", sa.String(16)),
        sa.Column("factors", _JSON, nullable=False),
        sa.Column("last_answer_at", _TIME),
        sa.Column("at_risk_contacts", sa.Integer(), nullable=False),
        sa.Column("computed_at", _TIME, nullable=False),
    )
    for name, column in (("health", "health"), ("revenue", "revenue"), ("last_answer", "last_answer_at")):
        op.create_index(f"ix_customer_accounts_{name}", "customer_accounts", ["workspace_id", column, "key"])
    op.create_table(
        "health_history",
        _contact(),
        sa.Column("day", sa.Date(), primary_key=True),
        _workspace(),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("factors", _JSON, nullable=False),
    )
    op.create_index("ix_health_history_workspace_day", "health_history", ["workspace_id", "day"])


def downgrade():
    op.drop_table("health_history")
    op.drop_table("customer_accounts")
    op.drop_table("customer_profiles")
    op.drop_table("customer_settings")
