"""segment and attribute rollups for the dashboard (issue 12)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0012
Revises: 0011
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
