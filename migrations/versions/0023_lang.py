"""per-language theme keywords (issue 13): a theme may list keywords for comments in other
languages, ``{"fr": ["livraison"], "de": ["Lieferung"]}``; existing themes start with none

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.add_column(
        "themes", sa.Column("keywords_by_language", _JSON, server_default=sa.text("'{}'"), nullable=False)
    )


def downgrade():
    op.drop_column("themes", "keywords_by_language")
