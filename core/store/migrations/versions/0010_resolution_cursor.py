"""Resolution reads staged records from a horizon (a stamp per staged write) instead of rewriting
each record's `resolved` flag: one row a pass, not one a record

Revision ID: 0010_resolution_cursor
Revises: 0008_teams_approvals_and_cards
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_resolution_cursor"
down_revision = "0008_teams_approvals_and_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolution_cursors",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_resolution_cursors")),
    )
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staged_seq", sa.BigInteger(), server_default="0", nullable=False))
    # records not yet resolved are pending from horizon 1 on; every later stamp is above it
    op.execute("UPDATE source_records SET staged_seq = 1 WHERE resolved = false")
    op.execute("INSERT INTO resolution_cursors (name, value) VALUES ('resolved', 1), ('staged', 1)")
    if op.get_bind().dialect.name == "postgresql":  # SQLite counts in `resolution_cursors`
        op.execute("CREATE SEQUENCE IF NOT EXISTS source_records_staged_seq START WITH 2")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index("ix_source_records_unresolved")
        batch_op.drop_column("resolved")
        batch_op.create_index("ix_source_records_pending", ["entity", "staged_seq", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index("ix_source_records_pending")
        batch_op.add_column(sa.Column("resolved", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        # a held stream's records are pending from its own, lower horizon: the lowest is kept
        "UPDATE source_records SET resolved = (staged_seq < coalesce((SELECT min(value) FROM "
        "resolution_cursors WHERE name = 'resolved' OR name LIKE 'held:%'), 0))"
    )
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_column("staged_seq")
        batch_op.create_index("ix_source_records_unresolved", ["resolved", "entity"], unique=False)
    op.drop_table("resolution_cursors")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS source_records_staged_seq")
