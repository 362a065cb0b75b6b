"""learning from corrections that generalises (issue 13): why a learned rule applies or was
withdrawn when no analyst decided it (learned_rules.reason)

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("learned_rules", sa.Column("reason", sa.String(length=200), nullable=True))


def downgrade():
    op.drop_column("learned_rules", "reason")
