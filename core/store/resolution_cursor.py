"""Which staged records resolution has still to read: a stamp on each staged write and a horizon
resolution keeps, never a rewrite of the staged rows ("resolved marks" rewrote every staged row
once more after each first load and each change: a row per record, and on SQLite the whole row
with its payload).

A write that makes a record pending (new, changed, reappearing, deleted, sent back by a review
decision) stamps it with `stamp`. A record is pending when its stamp is at or above the horizon
(`Horizons.pending`).

Why a horizon is safe against commits out of order: a pass first takes `horizon_now`, a value
every stamp still to commit is at or above, and every lower stamp has committed (or rolled back)
and so is visible to what the pass reads next.
- SQLite: the stamp is a counter incremented inside the write transaction, which holds the
  database's one write lock until it commits; the horizon is the committed counter plus one.
- PostgreSQL: the stamp is the next value of a sequence, drawn under a shared transaction-level
  advisory lock held until the staging transaction ends; the horizon is the sequence's next value
  read under the exclusive lock, which waits for the staging transactions in flight to end
  (batches are short) and holds off new ones for that one read. Transactions that stage nothing
  (other databases on the server, long readers) do not hold the horizon back.

Having read every pending record, the pass moves the horizon there (`advance`, one row), so a
record staged while it ran stays pending; at worst a record read by this pass is read once more by
the next, which merges it again and writes nothing. A crash before `advance` leaves the horizon
where it was: the next pass reads again what the dead one read, again writing nothing new.

A stream held by the mass-change guard is skipped by a pass: it keeps the horizon it had (a
`held:` row), so its pending records stay pending while other streams move on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.schema import resolution_cursors, source_records

#: the global horizon's row
RESOLVED = "resolved"
#: SQLite's stamp counter
STAGED = "staged"
#: the prefix of a held stream's own horizon (`held:<instance>/<stream>`)
HELD = "held:"

Source = tuple[str, str]

#: PostgreSQL: the sequence stamps are drawn from, and the advisory lock that orders them
SEQUENCE = "source_records_staged_seq"
_LOCK = int.from_bytes(hashlib.sha256(b"itsm-hub/staging-stamps").digest()[:8], "big", signed=True)


def stamp(conn: sa.Connection) -> int:
    """The stamp of records this transaction stages (call it inside the write transaction)."""
    if conn.dialect.name == "postgresql":
        # the lock (in FROM, so taken first) is held until this transaction ends
        drawn = conn.exec_driver_sql(
            f"SELECT nextval('{SEQUENCE}') FROM (SELECT pg_advisory_xact_lock_shared(%s)) AS ordered",
            (_LOCK,),
        )
        return int(drawn.scalar_one())
    # the upsert takes SQLite's write lock: the counter's order is the commit order
    value = conn.exec_driver_sql(
        "INSERT INTO resolution_cursors (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (STAGED,),
    ).scalar_one()
    return int(value)


def next_stamp(conn: sa.Connection) -> sa.ColumnElement[Any]:
    """The stamp as SQL, for an UPDATE that may touch no row: on SQLite the counter's next value,
    taken by `took_stamp` once rows were written (an UPDATE that wrote nothing writes nothing)."""
    if conn.dialect.name == "postgresql":
        return sa.literal(stamp(conn), sa.BigInteger)  # a sequence value: nothing written
    counter = sa.select(resolution_cursors.c.value).where(resolution_cursors.c.name == STAGED)
    return sa.func.coalesce(counter.scalar_subquery(), 0) + 1


def took_stamp(conn: sa.Connection, written: int) -> None:
    """After UPDATEs that set `next_stamp` and wrote `written` rows (SQLite: one writer holds the
    lock since, so the counter still gives the value they used)."""
    if written and conn.dialect.name != "postgresql":
        stamp(conn)


def horizon_now(conn: sa.Connection) -> int:
    """A value every stamp not yet committed is at or above (PostgreSQL: call it in a transaction
    of its own, which holds off staging until it ends)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        value = conn.exec_driver_sql(f"SELECT last_value + is_called::int FROM {SEQUENCE}")
        return int(value.scalar_one())
    staged = conn.scalar(sa.select(resolution_cursors.c.value).where(resolution_cursors.c.name == STAGED))
    return int(staged or 0) + 1


@dataclass(frozen=True)
class Horizons:
    """Where resolution stands: the global horizon and the older ones of held streams."""

    resolved: int = 0
    held: dict[Source, int] = field(default_factory=dict)

    @property
    def lowest(self) -> int:
        return min([self.resolved, *self.held.values()])

    def of(self, source: Source) -> int:
        return self.held.get(source, self.resolved)

    def pending(self) -> sa.ColumnElement[bool]:
        """A condition on `source_records`: the record is still to be resolved."""
        t = source_records
        condition = t.c.staged_seq >= self.resolved
        for (instance, stream), value in sorted(self.held.items()):
            condition = sa.or_(
                condition, sa.and_(t.c.instance == instance, t.c.stream == stream, t.c.staged_seq >= value)
            )
        return condition

    def pending_sql(self, mark: str) -> tuple[str, tuple[Any, ...]]:
        """`pending` as driver SQL (`mark` the dialect's placeholder) and its parameters."""
        terms = [f"staged_seq >= {mark}"]
        values: list[Any] = [self.resolved]
        for (instance, stream), value in sorted(self.held.items()):
            terms.append(f"(instance = {mark} AND stream = {mark} AND staged_seq >= {mark})")
            values += [instance, stream, value]
        return "(" + " OR ".join(terms) + ")", tuple(values)


def horizons(conn: sa.Connection) -> Horizons:
    """The stored horizons (0 before the first pass: every record is pending)."""
    rows = conn.execute(
        sa.select(resolution_cursors.c.name, resolution_cursors.c.value).where(
            sa.or_(resolution_cursors.c.name == RESOLVED, resolution_cursors.c.name.startswith(HELD))
        )
    ).all()
    resolved = 0
    held: dict[Source, int] = {}
    for name, value in rows:
        if name == RESOLVED:
            resolved = int(value)
        else:
            instance, _, stream = name.removeprefix(HELD).partition("/")
            held[(instance, stream)] = int(value)
    return Horizons(resolved, held)


def advance(conn: sa.Connection, before: Horizons, to: int, held: Iterable[Source]) -> None:
    """A pass that took `to` at its start and read every pending record but those of `held`
    streams: move the global horizon to `to`; held streams keep where they stood, streams no
    longer held drop their own. Writes nothing when nothing moves."""
    keep = set(held)
    now = clock.now()
    t = resolution_cursors
    for source in keep - set(before.held):
        name = f"{HELD}{source[0]}/{source[1]}"
        conn.execute(t.insert().values(name=name, value=before.resolved, updated_at=now))
    for source in set(before.held) - keep:
        conn.execute(t.delete().where(t.c.name == f"{HELD}{source[0]}/{source[1]}"))
    if to <= before.resolved:
        return
    moved = conn.execute(t.update().where(t.c.name == RESOLVED).values(value=to, updated_at=now)).rowcount
    if not moved:
        conn.execute(t.insert().values(name=RESOLVED, value=to, updated_at=now))


def requeue(conn: sa.Connection, record_ids: Iterable[int]) -> None:
    """Make these records pending again (a review decision linked one)."""
    ids = sorted(set(record_ids))
    if ids:
        conn.execute(
            source_records.update().where(source_records.c.id.in_(ids)).values(staged_seq=stamp(conn))
        )
