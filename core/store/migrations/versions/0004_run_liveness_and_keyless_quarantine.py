"""sync_runs host/pid/heartbeat (abandoned runs are reconciled); quarantine fingerprint/position
(a record without a key is one open entry however often it is re-read)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_sync_runs_status", ["status"], unique=False)
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("position", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_column("position")
        batch_op.drop_column("fingerprint")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_status")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
