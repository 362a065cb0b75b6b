"""analysis worker throughput (issue 12)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0014
Revises: 0013
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
