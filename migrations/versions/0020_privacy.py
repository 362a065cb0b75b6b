"""privacy: erasure audit, suppressions and retention (issue 11)

Placeholder kept in the chain so parallel work can land in order; it changes nothing.

Revision ID: 0020
Revises: 0019
"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
