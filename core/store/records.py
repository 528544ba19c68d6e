"""Staging source records: batched upserts keyed by (instance, stream, key) with content-hash
change detection, committed in one transaction with the stream state that covers them.

Promises:
- an unchanged record causes no write to `source_records` at all;
- `write_batch(..., state=S)` commits the batch and state S atomically: a crash repeats work but
  never skips or doubles it;
- a changed, new, reappearing or deleted record is stamped pending for resolution
  (`core/store/resolution_cursor.py`);
- a quarantine entry stays open only while its record is unusable: it is released when the
  record next stages cleanly, or superseded when the record is quarantined again; a record
  without a key is known by its content (`keyless_fingerprint`), and its entry also closes when
  a complete listing no longer carries it (`core/store/snapshots.py`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core import clock
from core.store.encoding import content_hash
from core.store.engine import Store
from core.store.resolution_cursor import next_stamp, took_stamp
from core.store.schema import quarantine, snapshot_seen, source_records, stream_state
from core.store.statistics import StatisticsRefresh
from core.store.upsert import Scope, upsert

#: what staging refreshes planner statistics of (PostgreSQL; see core/store/statistics.py)
STATISTICS_COLUMNS = "source_records (instance, stream, record_key, entity, staged_seq, deleted_at)"

__all__ = ["content_hash"]  # re-exported: connectors and tests hash what they stage from here


@dataclass(frozen=True)
class StagedRecord:
    key: str
    payload: dict[str, Any]
    entity: str | None
    fragment: dict[str, Any] | None
    hash: str


@dataclass(frozen=True)
class QuarantinedRecord:
    key: str | None
    field: str | None
    expression: str | None
    reason: str
    payload: dict[str, Any] | None
    #: where the source has the record (file and line), when the connector says
    position: str | None = None
    #: the identity of a record without a key (`keyless_fingerprint`); None when `key` is known
    fingerprint: str | None = None


def keyless_fingerprint(payload: Any, occurrence: int) -> str:
    """Identity of a record that has no key: its content, and which of identical rows it is.

    A bad row that every export repeats keeps its identity wherever it moves in the file, so it
    stays one open quarantine entry; two identical rows stay two. (Its digest is the one
    fingerprints were first stored with: open entries keep matching across upgrades.)"""
    blob = json.dumps([payload, None], sort_keys=True, separators=(",", ":"), default=str)
    return f"{hashlib.sha256(blob.encode()).hexdigest()[:40]}#{occurrence}"


@dataclass
class BatchCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0

    def add(self, other: BatchCounts) -> None:
        for name in ("inserted", "updated", "unchanged", "deleted", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RecordWriter:
    """Writes one run's batches for one (instance, stream, partition)."""

    store: Store
    instance: str
    stream: str
    partition: str
    run_id: str
    #: the open snapshot whose listing these batches belong to (None outside a snapshot)
    snapshot_id: str | None = None
    counts: BatchCounts = field(default_factory=BatchCounts)
    _statistics: StatisticsRefresh | None = field(default=None, repr=False)
    #: whether this stream may have open quarantine entries (asked once, then tracked)
    _open_quarantine: bool | None = field(default=None, repr=False)
    #: whether the next batch reads its stored hashes before writing (see `upsert`)
    _look_up: bool = field(default=True, repr=False)

    def write_batch(
        self,
        records: Sequence[StagedRecord],
        *,
        deletions: Sequence[str] = (),
        quarantined: Sequence[QuarantinedRecord] = (),
        state: dict[str, Any] | None = None,
    ) -> BatchCounts:
        """Upsert records, apply deletions, quarantine bad records and save state in one transaction."""
        with self.store.engine.begin() as conn:
            batch = self.write_in(conn, records, deletions=deletions, quarantined=quarantined, state=state)
        if self._statistics is None:
            # the columns lookups filter on: sampling the JSON payloads cost 0.9 s per refresh
            self._statistics = StatisticsRefresh(self.store, [STATISTICS_COLUMNS])
        self._statistics.grew(batch.inserted)
        return batch

    def write_in(
        self,
        conn: sa.Connection,
        records: Sequence[StagedRecord],
        *,
        deletions: Sequence[str] = (),
        quarantined: Sequence[QuarantinedRecord] = (),
        state: dict[str, Any] | None = None,
    ) -> BatchCounts:
        """`write_batch` inside the caller's transaction (provisioning on demand plans in one
        transaction it rolls back, and applies in one it commits)."""
        batch = BatchCounts()
        now = clock.now()
        unique = {r.key: r for r in records}  # the last version of a key within a batch wins
        rows = [(k, r.entity, r.hash, r.payload, r.fragment) for k, r in unique.items()]
        scope = Scope(self.instance, self.stream, self.partition, self.run_id, now)
        written = upsert(conn, scope, rows, look_up=self._look_up)
        if rows:  # a first load is all new records: looking each batch up would find nothing
            self._look_up = written.inserted < len(rows)
        batch.inserted, batch.updated = written.inserted, written.updated
        batch.unchanged = len(unique) - written.inserted - written.updated
        if self.snapshot_id is not None:
            # a quarantined version still proves the record is in the source (a keyless one
            # is listed by its fingerprint, which matches no stored key)
            listed = set(unique) | {name for q in quarantined if (name := q.key or q.fingerprint)}
            self._mark_seen(conn, self.snapshot_id, listed)
        if deletions:
            batch.deleted = self._delete(conn, deletions, now)
        fixed = set(unique) | {q.key for q in quarantined if q.key}
        self._release_quarantine(conn, fixed, now)
        fingerprints = {q.fingerprint for q in quarantined if q.key is None and q.fingerprint}
        self._release_quarantine(conn, fingerprints, now, column="fingerprint")
        if quarantined:
            conn.execute(quarantine.insert(), [self._quarantine_row(q, now) for q in quarantined])
            batch.quarantined = len(quarantined)
            self._open_quarantine = True
        if state is not None:
            save_state(conn, self.instance, self.stream, self.partition, state, self.run_id, now)
        self.counts.add(batch)
        return batch

    def _release_quarantine(
        self, conn: sa.Connection, keys: set[str], now: datetime, column: str = "record_key"
    ) -> None:
        """Close open entries of these keys (or keyless fingerprints): staged cleanly now, or about
        to be quarantined anew."""
        if self._open_quarantine is False or not keys:  # the common case: nothing to build or ask
            return
        q = quarantine
        mine = [q.c.instance == self.instance, q.c.stream == self.stream, q.c.released_at.is_(None)]
        if self._open_quarantine is None:
            self._open_quarantine = conn.scalar(sa.select(sa.exists().where(*mine))) or False
        if not self._open_quarantine:
            return
        ordered = sorted(keys)
        for start in range(0, len(ordered), 900):
            conn.execute(
                q.update().where(*mine, q.c[column].in_(ordered[start : start + 900])).values(released_at=now)
            )

    @staticmethod
    def _mark_seen(conn: sa.Connection, snapshot_id: str, keys: set[str]) -> None:
        """Record keys as listed by the snapshot; a key listed again (a resumed read) is no error."""
        if not keys:
            return
        # plain tuples to the driver: every key of every full listing passes here
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        conn.exec_driver_sql(
            f"INSERT INTO {snapshot_seen.name} (run_id, record_key) VALUES ({mark}, {mark}) ON CONFLICT DO NOTHING",
            [(snapshot_id, key) for key in keys],
        )

    def _delete(self, conn: sa.Connection, keys: Sequence[str], now: datetime) -> int:
        t = source_records
        deleted = 0
        staged_seq = next_stamp(conn)
        for start in range(0, len(keys), 900):
            result = conn.execute(
                t.update()
                .where(
                    t.c.instance == self.instance,
                    t.c.stream == self.stream,
                    t.c.record_key.in_(list(keys[start : start + 900])),
                    t.c.deleted_at.is_(None),
                )
                .values(deleted_at=now, staged_seq=staged_seq, last_run_id=self.run_id)
            )
            deleted += result.rowcount or 0
        took_stamp(conn, deleted)
        return deleted

    def _quarantine_row(self, q: QuarantinedRecord, now: datetime) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "instance": self.instance,
            "stream": self.stream,
            "record_key": q.key,
            "fingerprint": q.fingerprint if q.key is None else None,
            "position": q.position,
            "field": q.field,
            "expression": q.expression,
            "reason": q.reason,
            "payload": q.payload,
            "created_at": now,
        }


def save_state(
    conn: sa.Connection,
    instance: str,
    stream: str,
    partition: str,
    state: dict[str, Any],
    run_id: str,
    now: datetime,
) -> None:
    values = {"instance": instance, "stream": stream, "partition": partition}
    conn.execute(
        _save_state_statement(conn.dialect.name), values | {"state": state, "run_id": run_id, "now": now}
    )


@functools.cache
def _save_state_statement(dialect: str) -> sa.Insert:
    """One upsert of a partition's state, built once (it runs with every batch)."""
    t = stream_state
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(t).values(
        instance=sa.bindparam("instance"),
        stream=sa.bindparam("stream"),
        partition=sa.bindparam("partition"),
        state=sa.bindparam("state", type_=t.c.state.type),
        run_id=sa.bindparam("run_id"),
        updated_at=sa.bindparam("now", type_=t.c.updated_at.type),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[t.c.instance, t.c.stream, t.c.partition],
        set_={"state": excluded.state, "run_id": excluded.run_id, "updated_at": excluded.updated_at},
    )


def load_state(store: Store, instance: str, stream: str, partition: str) -> dict[str, Any] | None:
    t = stream_state
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(t.c.state).where(
                t.c.instance == instance, t.c.stream == stream, t.c.partition == partition
            )
        ).first()
    return dict(row.state) if row else None


def clear_state(store: Store, instance: str, stream: str) -> None:
    t = stream_state
    with store.engine.begin() as conn:
        conn.execute(t.delete().where(t.c.instance == instance, t.c.stream == stream))
