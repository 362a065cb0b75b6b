"""decide: saved segments, daily and theme rollups, rollup marks

Rollups start empty: the first ``vocservice rollups rebuild`` (or, for theme rollups, the first
tick) fills them from the responses already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
SCORES = [f's{value}' for value in range(11)]


def _scores():
    return [sa.Column(name, sa.Integer(), nullable=False) for name in SCORES]


def upgrade():
    op.create_table('segments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('conditions', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_segments_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_segments_workspace_id_name'))
    )
    op.create_table('daily_rollups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('survey_id', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('touchpoint_key', sa.String(length=40), nullable=False),
    sa.Column('dim', sa.String(length=120), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('commented', sa.Integer(), nullable=False),
    *_scores(),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_daily_rollups_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_daily_rollups_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_rollups')),
    sa.UniqueConstraint('survey_id', 'day', 'dim', 'value', 'touchpoint_key', 'workspace_id', name=op.f('uq_daily_rollups_survey_id'))
    )
    with op.batch_alter_table('daily_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_rollups_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('theme_rollups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('survey_id', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('theme_id', sa.String(length=40), nullable=False),
    sa.Column('mentions', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('neutral', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('compound_sum', sa.Float(), nullable=False),
    *_scores(),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_theme_rollups_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_rollups_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_theme_rollups_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_rollups')),
    sa.UniqueConstraint('survey_id', 'day', 'theme_id', name=op.f('uq_theme_rollups_survey_id'))
    )
    with op.batch_alter_table('theme_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_rollups_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_rollups_theme_id'), ['theme_id'], unique=False)

    op.create_table('rollup_marks',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('info', JSON, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_rollup_marks'))
    )
    # Theme rollups ask "any analysis newer than the mark?" on every read.
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.create_index('ix_analyses_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.drop_index('ix_analyses_created_at')
    op.drop_table('rollup_marks')
    with op.batch_alter_table('theme_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_rollups_theme_id'))
        batch_op.drop_index(batch_op.f('ix_theme_rollups_workspace_id'))
    op.drop_table('theme_rollups')
    with op.batch_alter_table('daily_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_rollups_workspace_id'))
    op.drop_table('daily_rollups')
    op.drop_table('segments')
