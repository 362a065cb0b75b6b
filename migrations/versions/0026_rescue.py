"""the case loop's rescue rate read from facts kept with the answers (issue 12)

``rescue_facts``: one row per detractor-level answer a customer gave (completed, scored, with a
contact), with its score, the score of the same customer's next completed scored answer to the
same survey (by time, then id) and whether it has a case; ``surveys.case.rescue`` keeps it in
step with the answers and cases, and the dashboard's rescue rate reads one range of it instead
of a ``lead()`` over 90 days of answers per request. Filled here from the answers and cases
already stored (one window over them: seconds at a million answers), on PostgreSQL and on the
embedded SQLite alike (both have window functions); ``vocservice rollups rebuild`` recomputes
it the same way after bulk SQL that bypassed the ORM.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The unhappy end of each scale at the time of writing (surveys.survey.scales.DETRACTOR_LEVEL):
# NPS 0-6, CSAT 1-2, CES 1-3.
BACKFILL = """
INSERT INTO rescue_facts
    (response_id, workspace_id, survey_id, contact_id, submitted_at, score, next_score, has_case)
SELECT id, workspace_id, survey_id, contact_id, submitted_at, score, next_score,
       EXISTS (SELECT 1 FROM cases WHERE cases.response_id = answers.id)
FROM (
    SELECT r.id, r.workspace_id, r.survey_id, r.contact_id, r.submitted_at, r.score, s.kind,
           lead(r.score) OVER (
               PARTITION BY r.workspace_id, r.contact_id, r.survey_id
               ORDER BY r.submitted_at, r.id
           ) AS next_score
    FROM responses r JOIN surveys s ON s.id = r.survey_id
    WHERE r.completed AND r.score IS NOT NULL AND r.contact_id IS NOT NULL
) AS answers
WHERE (kind = 'nps' AND score BETWEEN 0 AND 6)
   OR (kind = 'csat' AND score BETWEEN 1 AND 2)
   OR (kind = 'ces' AND score BETWEEN 1 AND 3)
"""


def upgrade():
    op.create_table(
        "rescue_facts",
        sa.Column(
            "response_id",
            sa.String(40),
            sa.ForeignKey("responses.id", ondelete="CASCADE", name="fk_rescue_facts_response_id_responses"),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.String(40), nullable=False),
        sa.Column("survey_id", sa.String(40), nullable=False),
        sa.Column("contact_id", sa.String(40), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("next_score", sa.Integer()),
        sa.Column("has_case", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", name="pk_rescue_facts"),
    )
    op.execute(BACKFILL)
    # Every column the rate counts, so a period is read from the index alone.
    op.create_index(
        "ix_rescue_facts_workspace_submitted",
        "rescue_facts",
        ["workspace_id", "submitted_at", "has_case", "score", "next_score"],
    )
    op.create_index("ix_rescue_facts_contact_id", "rescue_facts", ["contact_id"])


def downgrade():
    op.drop_index("ix_rescue_facts_contact_id", table_name="rescue_facts")
    op.drop_index("ix_rescue_facts_workspace_submitted", table_name="rescue_facts")
    op.drop_table("rescue_facts")
