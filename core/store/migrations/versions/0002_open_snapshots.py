"""open snapshots: a snapshot outlives a failed run so the next run continues it

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_snapshots",
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("partition", sa.String(length=300), nullable=False),
        sa.Column("snapshot_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance", "stream", "partition", name=op.f("pk_open_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("open_snapshots")
