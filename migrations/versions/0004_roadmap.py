"""roadmap: items, the themes they address, and their links to responses

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('roadmap_items',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('external_ref', sa.String(length=200), nullable=True),
    sa.Column('remap_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status in ('idea','planned','in_progress','shipped')", name=op.f('ck_roadmap_items_status')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_roadmap_items_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roadmap_items')),
    sa.UniqueConstraint('workspace_id', 'external_ref', name=op.f('uq_roadmap_items_workspace_id_external_ref'))
    )
    with op.batch_alter_table('roadmap_items', schema=None) as batch_op:
        batch_op.create_index('ix_roadmap_items_remap', ['remap_requested_at'], unique=False)

    op.create_table('roadmap_item_themes',
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('theme_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['roadmap_items.id'], name=op.f('fk_roadmap_item_themes_item_id_roadmap_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_roadmap_item_themes_theme_id_themes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'theme_id', name=op.f('pk_roadmap_item_themes'))
    )
    with op.batch_alter_table('roadmap_item_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadmap_item_themes_theme_id'), ['theme_id'], unique=False)

    op.create_table('roadmap_links',
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('response_id', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source in ('auto','manual','excluded')", name=op.f('ck_roadmap_links_source')),
    sa.ForeignKeyConstraint(['item_id'], ['roadmap_items.id'], name=op.f('fk_roadmap_links_item_id_roadmap_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_roadmap_links_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'response_id', name=op.f('pk_roadmap_links'))
    )
    with op.batch_alter_table('roadmap_links', schema=None) as batch_op:
        batch_op.create_index('ix_roadmap_links_response_id', ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('roadmap_links', schema=None) as batch_op:
        batch_op.drop_index('ix_roadmap_links_response_id')

    op.drop_table('roadmap_links')
    with op.batch_alter_table('roadmap_item_themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadmap_item_themes_theme_id'))

    op.drop_table('roadmap_item_themes')
    with op.batch_alter_table('roadmap_items', schema=None) as batch_op:
        batch_op.drop_index('ix_roadmap_items_remap')

    op.drop_table('roadmap_items')
