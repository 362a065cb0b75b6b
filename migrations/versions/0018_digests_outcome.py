"""digest preferences and roadmap outcome (issue 10)

Users choose a digest (off, daily, weekly; everyone off to begin with); ``digests`` holds one row
per user and period, unique, so a re-run or killed tick never sends a period twice. Roadmap items
remember when they were shipped (items already shipped take their last update as that time).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade():
    # Batch mode: SQLite (the embedded demo database) cannot add a check constraint in place.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("digest_frequency", sa.String(8), server_default="off", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_users_digest_frequency"), "digest_frequency in ('off','daily','weekly')"
        )
    op.create_table(
        "digests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("enqueued_at", _TIME),
        sa.Column("sent_at", _TIME),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", _TIME, nullable=False),
        sa.CheckConstraint("frequency in ('daily','weekly')", name=op.f("ck_digests_frequency")),
        sa.CheckConstraint(
            "status in ('pending','sending','sent','skipped','failed')", name=op.f("ck_digests_status")
        ),
        sa.UniqueConstraint(
            "user_id", "frequency", "period_start", name=op.f("uq_digests_user_id_frequency_period_start")
        ),
    )
    op.create_index("ix_digests_due", "digests", ["status", "next_attempt_at"])
    op.create_index("ix_digests_workspace_id", "digests", ["workspace_id"])
    op.add_column("roadmap_items", sa.Column("shipped_at", _TIME))
    op.execute("UPDATE roadmap_items SET shipped_at = updated_at WHERE status = 'shipped'")


def downgrade():
    op.drop_column("roadmap_items", "shipped_at")
    op.drop_index("ix_digests_workspace_id", table_name="digests")
    op.drop_index("ix_digests_due", table_name="digests")
    op.drop_table("digests")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_digest_frequency"), type_="check")
        batch_op.drop_column("digest_frequency")
