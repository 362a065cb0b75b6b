"""set-based batch paths (issue 12): drop two indexes every batch paid for and no query needs

``ix_contacts_workspace_id`` is the leading column of ``uq_contacts_workspace_id_external_id`` and
``ix_invitations_workspace_id`` that of ``ix_invitations_workspace_created``: every lookup (and the
workspaces foreign keys' cascade) can use the wider index, while each contact upserted and each
invitation inserted by an events batch kept one more index up to date.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_workspace_id")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_workspace_id")


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index("ix_invitations_workspace_id", ["workspace_id"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_workspace_id", ["workspace_id"], unique=False)
