"""stage_locks: resolve, evaluate and deliver each run once at a time per store, and a waiter can
say who holds a stage since when

Revision ID: 0005_stage_locks
Revises: 0005_ticket_person_and_cancel_reason
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_stage_locks"
down_revision = "0005_ticket_person_and_cancel_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stage_locks",
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("airflow_run_id", sa.String(length=250), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stage", name=op.f("pk_stage_locks")),
    )


def downgrade() -> None:
    op.drop_table("stage_locks")
