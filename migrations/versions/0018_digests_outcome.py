"""digest preferences and roadmap outcome (issue 10)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0018
Revises: 0017
"""

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
