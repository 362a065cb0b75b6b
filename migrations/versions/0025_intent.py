"""intent in insights, dashboard, exports and webhooks (issue 13)

``response_themes.intent``: what each theme mention wants (the theme hit's intent), copied here
from the newest stored analysis so filters and rollups need not read JSON. ``theme_rollups``
counts mentions per intent (request, complaint, question, praise; "other" is the rest). The
theme rollups are dropped with their freshness mark: readers use raw rows until the next tick
rebuilds them with the new counts (as ``vocservice rollups rebuild`` would).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_INTENTS = ("request", "complaint", "question", "praise")
_BACKFILL = """
UPDATE response_themes AS rt SET intent = hit.value ->> 'intent'
FROM (
    SELECT DISTINCT ON (response_id) response_id, themes FROM analyses
    ORDER BY response_id, created_at DESC
) AS a
CROSS JOIN LATERAL jsonb_array_elements(a.themes) AS hit(value), themes AS t
WHERE a.response_id = rt.response_id AND t.id = rt.theme_id AND hit.value ->> 'name' = t.name
  AND hit.value ->> 'intent' IN ('praise', 'complaint', 'request', 'question', 'other')
"""


def upgrade():
    op.add_column("response_themes", sa.Column("intent", sa.String(10)))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_BACKFILL)
    for name in _INTENTS:
        op.add_column(
            "theme_rollups", sa.Column(f"intent_{name}", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute("DELETE FROM theme_rollups")
    op.execute("DELETE FROM rollup_marks WHERE name = 'theme_rollups'")


def downgrade():
    with op.batch_alter_table("theme_rollups", schema=None) as batch_op:
        for name in _INTENTS:
            batch_op.drop_column(f"intent_{name}")
    with op.batch_alter_table("response_themes", schema=None) as batch_op:
        batch_op.drop_column("intent")
