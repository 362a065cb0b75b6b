"""analysis that hears factual complaints and intent, and roadmap links with their evidence
(issue 13): each stored analysis keeps the comment's intent, its language and the cues behind a
sentiment no word states; an automatic roadmap link keeps the words that matched the item's keywords; corrections teach a
workspace negative contexts and phrases (learned_rules)

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade():
    # Null for analyses made before intents existed and for answers without a comment.
    op.add_column("analyses", sa.Column("intent", sa.String(10)))
    op.add_column("analyses", sa.Column("cues", _JSON, server_default=sa.text("'[]'"), nullable=False))
    op.create_index("ix_analyses_intent", "analyses", ["intent"])
    # ISO 639-1 code of the comment's language (nlp.language); null without a comment.
    op.add_column("analyses", sa.Column("language", sa.String(12)))
    op.add_column("roadmap_links", sa.Column("evidence", _JSON, server_default=sa.text("'[]'"), nullable=False))
    op.create_table(
        "learned_rules",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("theme_id", sa.String(40), sa.ForeignKey("themes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("phrase", sa.String(200), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("response_ids", _JSON, nullable=False),
        sa.Column("created_by", sa.String(40), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decided_by", sa.String(40), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decided_at", _TIME),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.UniqueConstraint(
            "workspace_id", "theme_id", "kind", "phrase", name=op.f("uq_learned_rules_workspace_id_theme_id_kind_phrase")
        ),
        sa.CheckConstraint("kind in ('exclude','keyword')", name=op.f("ck_learned_rules_kind")),
        sa.CheckConstraint("status in ('proposed','active','undone')", name=op.f("ck_learned_rules_status")),
    )
    op.create_index("ix_learned_rules_theme_id", "learned_rules", ["theme_id"])


def downgrade():
    op.drop_table("learned_rules")
    op.drop_column("roadmap_links", "evidence")
    op.drop_index("ix_analyses_intent", table_name="analyses")
    op.drop_column("analyses", "language")
    op.drop_column("analyses", "cues")
    op.drop_column("analyses", "intent")
