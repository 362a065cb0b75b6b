"""privacy: erasure requests, the audit log, suppressions (keyed hashes) and retention (issue 11)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _workspace_fk():
    return sa.Column(
        "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )


def upgrade():
    op.create_table(
        "contact_suppressions",
        sa.Column("workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("created_at", _TIME, nullable=False),
    )
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("subject", sa.String(320)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("enqueued_at", _TIME),
        sa.Column("finished_at", _TIME),
    )
    op.create_index("ix_erasure_requests_workspace_id", "erasure_requests", ["workspace_id"])
    op.create_index("ix_erasure_requests_status", "erasure_requests", ["status"])
    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.String(40), primary_key=True),
        _workspace_fk(),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("actor_kind", sa.String(8), nullable=False),
        sa.Column("actor_id", sa.String(40)),
        sa.Column("request_id", sa.String(40)),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index("ix_privacy_audit_workspace_at", "privacy_audit", ["workspace_id", "at"])
    op.add_column("workspaces", sa.Column("retention_days", sa.Integer()))
    op.add_column(
        "workspaces",
        sa.Column("retention_action", sa.String(10), nullable=False, server_default="anonymise"),
    )


def downgrade():
    op.drop_column("workspaces", "retention_action")
    op.drop_column("workspaces", "retention_days")
    op.drop_index("ix_privacy_audit_workspace_at", table_name="privacy_audit")
    op.drop_table("privacy_audit")
    op.drop_index("ix_erasure_requests_status", table_name="erasure_requests")
    op.drop_index("ix_erasure_requests_workspace_id", table_name="erasure_requests")
    op.drop_table("erasure_requests")
    op.drop_table("contact_suppressions")
