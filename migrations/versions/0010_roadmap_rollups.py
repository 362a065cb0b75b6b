"""roadmap impact kept in rollups maintained with the answers (issue 12)

``roadmap_link_facts`` (one row per counted link, with what impact needs of the answer),
``roadmap_item_customers`` (each item's customers and the revenue of their latest linked answer)
and ``roadmap_impacts`` (per item totals). They start empty: ``vocservice rollups rebuild`` fills
them from the links already stored (``surveys.roadmap.rollups.rebuild``).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _item(table: str):
    return sa.Column(
        "item_id",
        sa.String(length=40),
        sa.ForeignKey("roadmap_items.id", ondelete="CASCADE", name=f"fk_{table}_item_id_roadmap_items"),
        nullable=False,
    )


def upgrade():
    op.create_table(
        "roadmap_link_facts",
        _item("roadmap_link_facts"),
        sa.Column("response_id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("survey_id", sa.String(length=40), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=True),
        sa.Column("detractor", sa.Boolean(), nullable=False),
        sa.Column("negative", sa.Boolean(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "response_id", name="pk_roadmap_link_facts"),
    )
    op.create_index("ix_roadmap_link_facts_response_id", "roadmap_link_facts", ["response_id"])
    op.create_index("ix_roadmap_link_facts_survey_time", "roadmap_link_facts", ["survey_id", "submitted_at"])
    op.create_index(
        "ix_roadmap_link_facts_customer", "roadmap_link_facts", ["item_id", "contact_id", "submitted_at"]
    )
    op.create_table(
        "roadmap_item_customers",
        _item("roadmap_item_customers"),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "contact_id", name="pk_roadmap_item_customers"),
    )
    op.create_table(
        "roadmap_impacts",
        _item("roadmap_impacts"),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.Column("negatives", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_roadmap_impacts"),
    )
    op.create_index("ix_roadmap_impacts_workspace_id", "roadmap_impacts", ["workspace_id"])
    # Links already stored: readers use the exact computation until the first rebuild.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM roadmap_links LIMIT 1")).first():
        bind.execute(
            sa.text(
                "INSERT INTO rollup_marks (name, at, info) "
                "VALUES ('roadmap_rollups_pending', CURRENT_TIMESTAMP, '{}')"
            )
        )


def downgrade():
    op.execute("DELETE FROM rollup_marks WHERE name = 'roadmap_rollups_pending'")
    op.drop_table("roadmap_impacts")
    op.drop_table("roadmap_item_customers")
    op.drop_index("ix_roadmap_link_facts_customer", table_name="roadmap_link_facts")
    op.drop_index("ix_roadmap_link_facts_survey_time", table_name="roadmap_link_facts")
    op.drop_index("ix_roadmap_link_facts_response_id", table_name="roadmap_link_facts")
    op.drop_table("roadmap_link_facts")
