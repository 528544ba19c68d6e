"""employments (a person's hire -> termination generations); lifecycle events carry their
employment; event states move planned -> ticketed -> done | cancelled | superseded

Revision ID: 0005_employments
Revises: 0005_stage_locks
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_employments"
down_revision = "0005_stage_locks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employments",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("termination_date", sa.Date(), nullable=True),
        sa.Column("transfer_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "generation", name=op.f("pk_employments")),
    )
    with op.batch_alter_table("lifecycle_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employment", sa.Integer(), nullable=False, server_default="1"))
    # events that already have a ticket were ticketed; a closed ticket's event is done
    op.execute(
        "UPDATE lifecycle_events SET state = 'ticketed' WHERE state = 'planned' "
        "AND id IN (SELECT event_id FROM tickets WHERE state NOT IN ('closed', 'cancelled'))"
    )
    op.execute(
        "UPDATE lifecycle_events SET state = 'done' WHERE state = 'planned' "
        "AND id IN (SELECT event_id FROM tickets WHERE state = 'closed')"
    )


def downgrade() -> None:
    op.execute("UPDATE lifecycle_events SET state = 'planned' WHERE state IN ('ticketed', 'done')")
    with op.batch_alter_table("lifecycle_events", schema=None) as batch_op:
        batch_op.drop_column("employment")
    op.drop_table("employments")
