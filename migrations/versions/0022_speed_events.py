"""hot-path speed (issue 12)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0022
Revises: 0021
"""

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
