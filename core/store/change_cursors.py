"""How far each consumer of the change log has read: one cursor row per consumer, moved in the
same transaction as the consumer's work, never a rewrite of the change rows themselves.

Why a plain "highest id read" is safe: ids are taken when a row is written but become visible when
its transaction commits, so in general a lower id can commit after a higher one was read, and a
cursor past it would skip it forever. Here every writer of the change log holds the `resolve`
stage lock (`ChangeRecorder.flush` refuses to write otherwise): one resolution runner at a time,
whose batches are sequential transactions on one connection, each committed before the next takes
an id. At any moment the committed rows are therefore every id up to some point (gaps are ids of
rolled-back transactions, which never come back: a provisioning plan rolls back), plus nothing of
the one batch in flight, whose ids are all above every committed one. A consumer that reads
`max(id)` once and then only rows up to it sees a complete prefix, and its cursor never passes an
id that can still appear. On SQLite the database's single writer gives the same order; its rowids
are never reused because change rows are never deleted.

A consumer that processes a few changes out of order (provisioning one person on demand, under
both stage locks) records those ids in `change_processed_ahead`; the next full pass skips them
and drops the marks once its cursor passes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.schema import change_cursors, change_log, change_processed_ahead

LIFECYCLE = "lifecycle"


def cursor_of(conn: sa.Connection, consumer: str) -> int:
    """The highest change id `consumer` has processed every change up to (0: none yet)."""
    last = conn.scalar(sa.select(change_cursors.c.last_id).where(change_cursors.c.consumer == consumer))
    return int(last or 0)


def processed_ahead(consumer: str) -> sa.Select[tuple[int]]:
    """The ids above the cursor `consumer` already processed (a subquery for NOT IN)."""
    return sa.select(change_processed_ahead.c.change_id).where(change_processed_ahead.c.consumer == consumer)


def advance(conn: sa.Connection, consumer: str, last_id: int) -> None:
    """Every change up to `last_id` is processed: one row written, marks below it dropped."""
    current = conn.scalar(sa.select(change_cursors.c.last_id).where(change_cursors.c.consumer == consumer))
    if current is not None and current >= last_id:
        return
    values = {"last_id": last_id, "updated_at": clock.now()}
    if current is None:
        conn.execute(change_cursors.insert().values(consumer=consumer, **values))
    else:
        conn.execute(change_cursors.update().where(change_cursors.c.consumer == consumer).values(values))
    conn.execute(
        change_processed_ahead.delete().where(
            change_processed_ahead.c.consumer == consumer, change_processed_ahead.c.change_id <= last_id
        )
    )


def mark_ahead(conn: sa.Connection, consumer: str, change_ids: Iterable[int]) -> None:
    """These changes above the cursor are processed (the cursor itself stays)."""
    cursor = cursor_of(conn, consumer)
    rows = [{"consumer": consumer, "change_id": i} for i in sorted(set(change_ids)) if i > cursor]
    if rows:
        conn.execute(change_processed_ahead.insert(), rows)


def is_processed(conn: sa.Connection, consumer: str) -> sa.ColumnElement[bool]:
    """A SQL condition on `change_log.id`: processed by `consumer`."""
    return sa.or_(
        change_log.c.id <= cursor_of(conn, consumer), change_log.c.id.in_(processed_ahead(consumer))
    )


def processed_sql(cursor: int, consumer: str) -> tuple[str, tuple[Any, ...]]:
    """`is_processed` as driver SQL for `core.resolve.rows.select_in` (`{p}` marks) and its
    values, given the consumer's cursor already read: evaluation asks it for every chunk."""
    text = "(id <= {p} OR id IN (SELECT change_id FROM change_processed_ahead WHERE consumer = {p}))"
    return text, (cursor, consumer)
