"""segment and attribute rollups for the dashboard (issue 12)

``rollup_dims``: the daily-rollup dimensions a workspace keeps beyond the built-in attributes
(a saved segment, an attribute grouped by). ``theme_rollups.segment_key``: theme rollups per
saved segment ("" = all answers, what every existing row counts), with the unique key widened
to match. Existing segments get rollups on the next ``vocservice rollups rebuild``; until then
they are read from raw rows as before.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rollup_dims",
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("dim", sa.String(length=120), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_rollup_dims_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "dim", name=op.f("pk_rollup_dims")),
    )
    with op.batch_alter_table("theme_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_key", sa.String(length=40), server_default="", nullable=False))
        batch_op.drop_constraint("uq_theme_rollups_survey_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_theme_rollups_survey_id", ["survey_id", "day", "segment_key", "theme_id"]
        )


def downgrade():
    op.execute("DELETE FROM theme_rollups WHERE segment_key <> ''")
    with op.batch_alter_table("theme_rollups", schema=None) as batch_op:
        batch_op.drop_constraint("uq_theme_rollups_survey_id", type_="unique")
        batch_op.create_unique_constraint("uq_theme_rollups_survey_id", ["survey_id", "day", "theme_id"])
        batch_op.drop_column("segment_key")
    op.drop_table("rollup_dims")
