"""tickets.person_name and outbox.cancel_reason: what a sink is told is stored as data, never
parsed back out of the rendered title or description

Revision ID: 0005_ticket_person_and_cancel_reason
Revises: 0005_perf_indexes
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_ticket_person_and_cancel_reason"
down_revision = "0005_perf_indexes"
branch_labels = None
depends_on = None

CANCELLED_BY_THE_HUB = "\n\nCancelled by the hub: "


def upgrade() -> None:
    _widen_version_column()
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_name", sa.String(length=300), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
    _carry_pending_cancel_reasons()


def _widen_version_column() -> None:
    """Alembic's version table holds 32 characters and this revision id is longer: widen it (in
    the same transaction, before alembic records the revision). SQLite does not enforce lengths."""
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "alembic_version", "version_num", type_=sa.String(length=128), existing_type=sa.String(length=32)
        )


def _carry_pending_cancel_reasons() -> None:
    """Cancel intents queued before this revision still owe their sink a reason: take it once
    from the sentence the lifecycle engine appended to the description (the last one)."""
    conn = op.get_bind()
    pending = conn.execute(
        sa.text(
            "SELECT o.id, t.description FROM outbox o JOIN tickets t ON t.key = o.ticket_key "
            "WHERE o.action = 'cancel' AND o.state = 'pending'"
        )
    ).all()
    for intent_id, description in pending:
        _, found, reason = (description or "").rpartition(CANCELLED_BY_THE_HUB)
        if found:
            conn.execute(
                sa.text("UPDATE outbox SET cancel_reason = :reason WHERE id = :id"),
                {"reason": reason.removesuffix("."), "id": intent_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("person_name")
