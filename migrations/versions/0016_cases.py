"""detractor cases and case rules (issue 10)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0016
Revises: 0015
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
