"""analysis that hears factual complaints and intent, and roadmap links with their evidence
(issue 13): each stored analysis keeps the comment's intent, its language and the cues behind a
sentiment no word states; an automatic roadmap link keeps the words that matched the item's keywords

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


def upgrade():
    # Null for analyses made before intents existed and for answers without a comment.
    op.add_column("analyses", sa.Column("intent", sa.String(10)))
    op.add_column("analyses", sa.Column("cues", _JSON, server_default=sa.text("'[]'"), nullable=False))
    op.create_index("ix_analyses_intent", "analyses", ["intent"])
    # ISO 639-1 code of the comment's language (nlp.language); null without a comment.
    op.add_column("analyses", sa.Column("language", sa.String(12)))
    op.add_column("roadmap_links", sa.Column("evidence", _JSON, server_default=sa.text("'[]'"), nullable=False))


def downgrade():
    op.drop_column("roadmap_links", "evidence")
    op.drop_index("ix_analyses_intent", table_name="analyses")
    op.drop_column("analyses", "language")
    op.drop_column("analyses", "cues")
    op.drop_column("analyses", "intent")
