"""detractor cases and case rules (issue 10): rules, cases (one per answer), append-only notes;
every existing workspace gets the default rule (detractor-level answers, unassigned, SLA 48 h)

Revision ID: 0016
Revises: 0015
"""

import os
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _id(prefix: str) -> str:
    # The same shape as surveys.core.db.new_id, spelt here so the migration imports no app code.
    bits = ((time.time_ns() // 1_000_000) << 82) | (int.from_bytes(os.urandom(10), "big") << 2)
    return prefix + "_" + "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(125, -1, -5))


def upgrade():
    op.create_table(
        "case_rules",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("survey_id", sa.String(40), sa.ForeignKey("surveys.id", ondelete="CASCADE")),
        sa.Column("segment_id", sa.String(40), sa.ForeignKey("segments.id", ondelete="CASCADE")),
        sa.Column("theme_id", sa.String(40), sa.ForeignKey("themes.id", ondelete="CASCADE")),
        sa.Column("negative_sentiment", sa.Boolean(), nullable=False),
        sa.Column("assign", sa.String(16), nullable=False),
        sa.Column("assignee_ids", _JSON, nullable=False),
        sa.Column("owner_attribute", sa.String(100)),
        sa.Column("rr_cursor", sa.Integer(), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_index("ix_case_rules_workspace_id", "case_rules", ["workspace_id"])
    op.create_table(
        "cases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("rule_id", sa.String(40), sa.ForeignKey("case_rules.id", ondelete="SET NULL")),
        sa.Column(
            "response_id", sa.String(40), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("contact_id", sa.String(40), sa.ForeignKey("contacts.id", ondelete="CASCADE")),
        sa.Column(
            "survey_id", sa.String(40), sa.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("owner_id", sa.String(40), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("first_contacted_at", _TIME),
        sa.Column("closed_at", _TIME),
        sa.Column("resolution", sa.String(500)),
        sa.Column("assignment_notice_pending", sa.Boolean(), nullable=False),
        sa.Column("overdue_notice_pending", sa.Boolean(), nullable=False),
        sa.Column("overdue_notified_at", _TIME),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.UniqueConstraint("response_id", name="uq_cases_response_id"),
        sa.CheckConstraint(
            "status in ('open','contacted','resolved','closed_no_action')", name="ck_cases_status"
        ),
    )
    op.create_index("ix_cases_rule_id", "cases", ["rule_id"])
    op.create_index("ix_cases_contact_id", "cases", ["contact_id"])
    op.create_index("ix_cases_survey_id", "cases", ["survey_id"])
    op.create_index("ix_cases_owner_id", "cases", ["owner_id"])
    op.create_index("ix_cases_workspace_status", "cases", ["workspace_id", "status"])
    op.create_index(
        "ix_cases_overdue_due",
        "cases",
        ["due_at"],
        postgresql_where=sa.text("status = 'open' AND overdue_notified_at IS NULL"),
        sqlite_where=sa.text("status = 'open' AND overdue_notified_at IS NULL"),
    )
    op.create_table(
        "case_notes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(40), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.String(40), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])

    # Existing workspaces start where new ones do: one enabled rule for detractor-level answers.
    bind = op.get_bind()
    workspaces = [row[0] for row in bind.execute(sa.text("SELECT id FROM workspaces"))]
    if workspaces:
        rules = sa.table(
            "case_rules",
            *(
                sa.column(name)
                for name in (
                    "id",
                    "workspace_id",
                    "name",
                    "enabled",
                    "negative_sentiment",
                    "assign",
                    "rr_cursor",
                    "sla_hours",
                    "created_at",
                    "updated_at",
                )
            ),
            sa.column("assignee_ids", _JSON),
        )
        now = datetime.now(UTC)
        op.bulk_insert(
            rules,
            [
                {
                    "id": _id("crl"),
                    "workspace_id": workspace_id,
                    "name": "Detractor-level answers",
                    "enabled": True,
                    "negative_sentiment": False,
                    "assign": "none",
                    "assignee_ids": [],
                    "rr_cursor": 0,
                    "sla_hours": 48,
                    "created_at": now,
                    "updated_at": now,
                }
                for workspace_id in workspaces
            ],
        )


def downgrade():
    op.drop_table("case_notes")
    op.drop_table("cases")
    op.drop_table("case_rules")
