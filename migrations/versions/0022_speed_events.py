"""hot-path speed (issue 12): each workspace counts its suppressions (people erased on request),
so events and answers skip the suppression lookup while a workspace has none

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "workspaces", sa.Column("suppressions", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.execute(
        "UPDATE workspaces SET suppressions = "
        "(SELECT count(*) FROM contact_suppressions s WHERE s.workspace_id = workspaces.id)"
    )


def downgrade():
    op.drop_column("workspaces", "suppressions")
