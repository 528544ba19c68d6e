"""change_log: one row per entity change (a JSON diff of the fields it changed) instead of one
per field; consumers keep a cursor (change_cursors, change_processed_ahead) instead of a
`processed` flag on every row

Existing per-field rows are folded: each run of consecutive ids of one entity, one resolution
run, one moment and one processed state (what one resolution step wrote together) becomes one
row that keeps the run's lowest id, so ids stay in commit order and every event's `change_ids`
(and a mover's idempotency key, built from the lowest of them) still name a change. The
lifecycle's cursor becomes the highest id below the first unprocessed row; processed rows above
it are recorded as processed ahead.

Revision ID: 0006_change_log_per_change
Revises: 0005_operator_actions
Create Date: 2026-12-07
"""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_change_log_per_change"
down_revision = "0005_operator_actions"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
DELETED = "_deleted"
CHUNK = 5000
CONSUMER = "lifecycle"

per_field = sa.table(
    "change_log",
    sa.column("id", sa.Integer),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("field", sa.String),
    sa.column("old_value", JSON),
    sa.column("new_value", JSON),
    sa.column("source", sa.String),
    sa.column("source_record_id", sa.Integer),
    sa.column("run_id", sa.String),
    sa.column("changed_at", sa.DateTime),
    sa.column("processed", sa.Boolean),
    sa.column("kind", sa.String),
    sa.column("changes", JSON),
    sa.column("field_sources", JSON),
)
events = sa.table("lifecycle_events", sa.column("id", sa.String), sa.column("change_ids", JSON))
cursors = sa.table(
    "change_cursors",
    sa.column("consumer", sa.String),
    sa.column("last_id", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
ahead = sa.table(
    "change_processed_ahead", sa.column("consumer", sa.String), sa.column("change_id", sa.Integer)
)


def upgrade() -> None:
    op.create_table(
        "change_cursors",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_change_cursors")),
    )
    op.create_table(
        "change_processed_ahead",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "change_id", name=op.f("pk_change_processed_ahead")),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("changes", JSON, nullable=True))
        batch_op.add_column(sa.Column("field_sources", JSON, nullable=True))
    _fold_rows(op.get_bind())
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index("ix_change_log_unprocessed")
        batch_op.drop_column("field")
        batch_op.drop_column("old_value")
        batch_op.drop_column("new_value")
        batch_op.drop_column("processed")
        batch_op.alter_column("kind", existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column("changes", existing_type=JSON, nullable=False)


class _Folder:
    """Folds per-field rows, read in id order, into one row per change."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.group: list[Any] = []
        self.seen_entities: set[tuple[str, str]] = set()
        self.updates: list[dict[str, Any]] = []
        self.deletes: list[int] = []
        #: removed id -> the id of the row it was folded into
        self.folded: dict[int, int] = {}
        self.first_unprocessed: int | None = None
        self.processed: list[int] = []

    @staticmethod
    def key(row: Any) -> tuple[Any, ...]:
        return (row.entity, row.entity_id, row.run_id, row.changed_at, bool(row.processed))

    def add(self, row: Any) -> None:
        if self.group and self.key(self.group[0]) != self.key(row):
            self.close()
        self.group.append(row)

    def close(self) -> None:
        if not self.group:
            return
        rows, self.group = self.group, []
        head = rows[0]
        changes = {r.field: [r.old_value, r.new_value] for r in rows}
        lineage = {r.field: (r.source, r.source_record_id) for r in rows}
        counted = Counter(v for v in lineage.values() if v != (None, None))
        source, record_id = counted.most_common(1)[0][0] if counted else (None, None)
        exceptions = {n: list(v) for n, v in lineage.items() if v != (source, record_id)}
        entity = (head.entity, head.entity_id)
        if DELETED in changes:
            kind = "deleted" if changes[DELETED][1] else "restored"
        else:
            kind = "updated" if entity in self.seen_entities else "created"
        self.seen_entities.add(entity)
        self.updates.append(
            {
                "_id": head.id,
                "kind": kind,
                "changes": changes,
                "source": source,
                "source_record_id": record_id,
                "field_sources": exceptions or None,
            }
        )
        for r in rows[1:]:
            self.deletes.append(r.id)
            self.folded[r.id] = head.id
        if head.processed:
            self.processed.append(head.id)
        elif self.first_unprocessed is None:
            self.first_unprocessed = head.id
        if len(self.updates) >= CHUNK:
            self.write()

    def write(self) -> None:
        if self.updates:
            self.conn.execute(
                per_field.update()
                .where(per_field.c.id == sa.bindparam("_id"))
                .values(
                    kind=sa.bindparam("kind"),
                    changes=sa.bindparam("changes"),
                    source=sa.bindparam("source"),
                    source_record_id=sa.bindparam("source_record_id"),
                    field_sources=sa.bindparam("field_sources"),
                ),
                self.updates,
            )
            self.updates = []
        for start in range(0, len(self.deletes), 500):
            self.conn.execute(per_field.delete().where(per_field.c.id.in_(self.deletes[start : start + 500])))
        self.deletes = []


def _fold_rows(conn: sa.Connection) -> None:
    folder = _Folder(conn)
    last_id, top = 0, 0
    while True:
        rows = conn.execute(
            sa.select(per_field).where(per_field.c.id > last_id).order_by(per_field.c.id).limit(CHUNK)
        ).all()
        if not rows:
            break
        for row in rows:
            folder.add(row)
        last_id = top = rows[-1].id
    folder.close()
    folder.write()
    cursor = top if folder.first_unprocessed is None else folder.first_unprocessed - 1
    if cursor > 0:
        conn.execute(cursors.insert().values(consumer=CONSUMER, last_id=cursor, updated_at=datetime.now(UTC)))
    above = [{"consumer": CONSUMER, "change_id": i} for i in folder.processed if i > cursor]
    if above:
        conn.execute(ahead.insert(), above)
    if folder.folded:
        _renumber_events(conn, folder.folded)


def _renumber_events(conn: sa.Connection, folded: dict[int, int]) -> None:
    """Events name the changes that caused them: point them at the rows their changes became."""
    for event in conn.execute(sa.select(events).where(events.c.change_ids.is_not(None))).all():
        ids = list(event.change_ids or [])
        renamed = list(dict.fromkeys(folded.get(i, i) for i in ids))
        if renamed != ids:
            conn.execute(events.update().where(events.c.id == event.id).values(change_ids=renamed))


def downgrade() -> None:
    """Back to one row per field: the first field keeps the change's id, the others take new ones."""
    conn = op.get_bind()
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("old_value", JSON, nullable=True))
        batch_op.add_column(sa.Column("new_value", JSON, nullable=True))
        batch_op.add_column(sa.Column("processed", sa.Boolean(), server_default=sa.false(), nullable=False))
    cursor = conn.scalar(sa.select(cursors.c.last_id).where(cursors.c.consumer == CONSUMER)) or 0
    marked = set(conn.scalars(sa.select(ahead.c.change_id).where(ahead.c.consumer == CONSUMER)))
    full = sa.table(
        "change_log",
        *(sa.column(c.name, c.type) for c in per_field.columns),
        sa.column("resolution_run", sa.String),
    )
    rows = conn.execute(sa.select(full).order_by(full.c.id)).all()
    for row in rows:
        changes = row.changes or {}
        exceptions = row.field_sources or {}
        names = sorted(n for n in changes if n != DELETED) + ([DELETED] if DELETED in changes else [])
        done = row.id <= cursor or row.id in marked
        for position, name in enumerate(names):
            source, record_id = exceptions.get(name, (row.source, row.source_record_id))
            values = {
                "field": name,
                "old_value": changes[name][0],
                "new_value": changes[name][1],
                "source": source,
                "source_record_id": record_id,
                "processed": done,
            }
            if position == 0:
                conn.execute(full.update().where(full.c.id == row.id).values(values))
            else:
                conn.execute(
                    full.insert().values(
                        entity=row.entity,
                        entity_id=row.entity_id,
                        run_id=row.run_id,
                        changed_at=row.changed_at,
                        resolution_run=row.resolution_run,
                        kind=row.kind,
                        changes={},
                        **values,
                    )
                )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_column("kind")
        batch_op.drop_column("changes")
        batch_op.drop_column("field_sources")
        batch_op.alter_column("field", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_index("ix_change_log_unprocessed", ["processed", "entity"], unique=False)
    op.drop_table("change_processed_ahead")
    op.drop_table("change_cursors")
