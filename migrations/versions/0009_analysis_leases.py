"""analysis work leases so a killed worker's answers resume promptly (issue 12)

``responses.analysis_lease_until``: a worker that claims an answer for analysis holds it until
then (short; a live worker also holds the row lock while it analyses). Pending answers whose lease
has passed are free for any worker, so one killed mid-batch is picked up within the lease instead
of the sweeper's ten-minute window. Also the time before which a failed analysis is not retried.
A partial index over the pending answers keeps the workers' "next pending answers" query small
whatever the size of the table.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("analysis_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_responses_analysis_pending",
        "responses",
        ["id"],
        postgresql_where=sa.text("analysis_status = 'pending'"),
        sqlite_where=sa.text("analysis_status = 'pending'"),
    )


def downgrade():
    op.drop_index("ix_responses_analysis_pending", table_name="responses")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("analysis_lease_until")
