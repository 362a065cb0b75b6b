"""separate outbound secret, inbound rotation, widget identity secret (issue 8)

Existing workspaces keep their inbound ``webhook_secret`` and get a fresh outbound and widget
secret each. Nobody has seen those, so an admin rotates them to learn them
(``vocservice workspace rotate-secret --kind outbound|widget``); until webhook-channel receivers
switch to the outbound secret, they cannot verify deliveries (which are retried).

Revision ID: 0008
Revises: 0007
"""

import base64
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KINDS = ("webhook_secret", "outbound_webhook_secret", "widget_secret")


def _whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _widsec() -> str:
    return "widsec_" + secrets.token_urlsafe(32)


def upgrade():
    # Added nullable, filled row by row with fresh secrets, then made NOT NULL: the same steps
    # on PostgreSQL (plain ALTERs) and SQLite (batch mode copies the table).
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbound_webhook_secret", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("widget_secret", sa.String(length=100), nullable=True))
        for column in _KINDS:
            batch_op.add_column(sa.Column(f"{column}_previous", sa.String(length=100), nullable=True))
            batch_op.add_column(
                sa.Column(f"{column}_previous_expires_at", sa.DateTime(timezone=True), nullable=True)
            )

    workspaces = sa.table(
        "workspaces",
        sa.column("id", sa.String),
        sa.column("outbound_webhook_secret", sa.String),
        sa.column("widget_secret", sa.String),
    )
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(workspaces.c.id))]
    for workspace_id in ids:
        bind.execute(
            workspaces.update()
            .where(workspaces.c.id == workspace_id)
            .values(outbound_webhook_secret=_whsec(), widget_secret=_widsec())
        )

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.alter_column("outbound_webhook_secret", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("widget_secret", existing_type=sa.String(length=100), nullable=False)


def downgrade():
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        for column in reversed(_KINDS):
            batch_op.drop_column(f"{column}_previous_expires_at")
            batch_op.drop_column(f"{column}_previous")
        batch_op.drop_column("widget_secret")
        batch_op.drop_column("outbound_webhook_secret")
