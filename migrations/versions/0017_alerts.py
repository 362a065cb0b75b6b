"""alert rules and alert history (issue 10)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0017
Revises: 0016
"""

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
