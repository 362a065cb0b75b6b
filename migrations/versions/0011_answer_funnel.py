"""opened invitations, partial-answer activity, funnel (issue 12)

``invitations.opened_at``: when a person (not a mail scanner) first had the hosted form in front
of them. ``responses.last_activity_at``: when the respondent last changed a partial answer, so
the tick can finalise answers left inactive; existing partial answers start from their
``updated_at``. Indexes: partial answers by activity (only the few partial rows are indexed),
invitations by workspace and creation time, events by workspace, name and arrival (the funnel).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_PARTIAL = "completed = false"


def upgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_invitations_workspace_created", ["workspace_id", "created_at"], unique=False)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True))
    # Only partial answers need it (finished ones are never finalised): a small UPDATE even on
    # a table of millions of answers.
    op.execute(f"UPDATE responses SET last_activity_at = updated_at WHERE {_PARTIAL}")
    op.create_index(
        "ix_responses_partial_activity",
        "responses",
        ["last_activity_at"],
        unique=False,
        postgresql_where=sa.text(_PARTIAL),
        sqlite_where=sa.text(_PARTIAL),
    )
    op.create_index("ix_events_workspace_name_received", "events", ["workspace_id", "name", "received_at"])


def downgrade():
    op.drop_index("ix_events_workspace_name_received", table_name="events")
    op.drop_index("ix_responses_partial_activity", table_name="responses")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("last_activity_at")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_workspace_created")
        batch_op.drop_column("opened_at")
