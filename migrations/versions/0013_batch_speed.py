"""set-based batch paths (issue 12)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0013
Revises: 0012
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
