"""web app: tag corrections made by analysts in the product managers' web app

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tag_corrections',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('response_id', sa.String(length=40), nullable=False),
    sa.Column('theme_id', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action in ('add','remove')", name=op.f('ck_tag_corrections_action')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_tag_corrections_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_tag_corrections_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tag_corrections_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_tag_corrections_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_corrections')),
    sa.UniqueConstraint('response_id', 'theme_id', name=op.f('uq_tag_corrections_response_id_theme_id'))
    )
    with op.batch_alter_table('tag_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_corrections_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_corrections_theme_id'), ['theme_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tag_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_corrections_theme_id'))
        batch_op.drop_index(batch_op.f('ix_tag_corrections_workspace_id'))

    op.drop_table('tag_corrections')
