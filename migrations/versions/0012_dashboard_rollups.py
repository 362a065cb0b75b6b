"""segment and attribute rollups for the dashboard (issue 12)

``rollup_dims``: the daily-rollup dimensions a workspace keeps beyond the built-in attributes
(a saved segment, an attribute grouped by). ``theme_rollups.segment_key``: theme rollups per
saved segment ("" = all answers, what every existing row counts), with the unique key widened
to match. Existing segments get rollups on the next ``vocservice rollups rebuild``; until then
they are read from raw rows as before. ``roadmap_link_facts.latest``: the latest linked answer of
its (item, survey, customer), so a survey's impact over a window needs no sort; the window index
includes the figures (PostgreSQL) so it is read from the index alone. Existing facts get their
flags here.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


_WINDOW_COLUMNS = ["workspace_id", "item_id", "contact_id", "detractor", "negative", "revenue", "latest"]
_FLAGS = """
UPDATE roadmap_link_facts SET latest = true
WHERE (item_id, response_id) IN (
    SELECT item_id, response_id FROM (
        SELECT item_id, response_id, row_number() OVER (
            PARTITION BY item_id, survey_id, contact_id ORDER BY submitted_at DESC, response_id DESC
        ) AS rank
        FROM roadmap_link_facts WHERE contact_id IS NOT NULL
    ) AS ranked WHERE rank = 1
)
"""


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
    with op.batch_alter_table("roadmap_link_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latest", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(_FLAGS)
    op.drop_index("ix_roadmap_link_facts_survey_time", table_name="roadmap_link_facts")
    op.create_index(
        "ix_roadmap_link_facts_survey_time",
        "roadmap_link_facts",
        ["survey_id", "submitted_at"],
        postgresql_include=_WINDOW_COLUMNS,
    )


def downgrade():
    op.drop_index("ix_roadmap_link_facts_survey_time", table_name="roadmap_link_facts")
    op.create_index("ix_roadmap_link_facts_survey_time", "roadmap_link_facts", ["survey_id", "submitted_at"])
    with op.batch_alter_table("roadmap_link_facts", schema=None) as batch_op:
        batch_op.drop_column("latest")
    op.execute("DELETE FROM theme_rollups WHERE segment_key <> ''")
    with op.batch_alter_table("theme_rollups", schema=None) as batch_op:
        batch_op.drop_constraint("uq_theme_rollups_survey_id", type_="unique")
        batch_op.create_unique_constraint("uq_theme_rollups_survey_id", ["survey_id", "day", "theme_id"])
        batch_op.drop_column("segment_key")
    op.drop_table("rollup_dims")
