"""learning from corrections that generalises (issue 13)

Revision ID: 0024
Revises: 0023
"""

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
