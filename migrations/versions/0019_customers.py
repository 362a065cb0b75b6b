"""customer record, accounts and health history (issue 11)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0019
Revises: 0018
"""

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
