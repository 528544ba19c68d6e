"""outbox leases and dead letters: an intent is claimed (owner, lease_expires_at) before it is
sent; a failing one waits (next_attempt_at) and after too many attempts is `dead` (dead_at).
Intents a former version left `failed` become `dead`, which `hub outbox retry` brings back.

Revision ID: 0005_outbox_leases
Revises: 0005_employments
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_outbox_leases"
down_revision = "0005_employments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET state = 'dead', dead_at = created_at WHERE state = 'failed'")


def downgrade() -> None:
    op.execute("UPDATE outbox SET state = 'failed' WHERE state = 'dead'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dead_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("owner")
