"""Absence and deletion for snapshots, behind the mass-change guard.

A snapshot is a listing of every live record of one partition: each run of a `full_snapshot`
stream, or what another stream brackets with `SnapshotStarted`/`SnapshotCompleted`. It is *open*
from its start until it completes; a run that fails leaves it open and the next run continues it,
so a listing resumed from a checkpoint does not count the records read before the failure as
missing. Its id is the id of the run that started it.

Only a *complete* snapshot counts. A record absent from one is marked missing; it is
deleted after `missing_snapshots` consecutive complete snapshots (or `missing_days`). If one
snapshot would newly mark or delete more than the guard allows (an empty or truncated export),
nothing is applied: the run is held until `hub approve RUN_ID`. Any complete listing supersedes
the holds of earlier listings of the same partition (`core/store/holds.py`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from core import clock
from core.config.hub_config import StreamPolicy
from core.store.engine import Store
from core.store.holds import supersede_holds
from core.store.resolution_cursor import next_stamp, took_stamp
from core.store.schema import holds, open_snapshots, quarantine, snapshot_seen, source_records, sync_runs


@dataclass(frozen=True)
class SnapshotOutcome:
    live: int
    newly_missing: int
    deleted: int
    held: bool
    hold_id: str | None = None
    reason: str | None = None


def current_snapshot(store: Store, instance: str, stream: str, partition: str) -> str | None:
    """The id of the partition's open snapshot, if a run started one that has not completed."""
    with store.engine.connect() as conn:
        return conn.scalar(
            sa.select(open_snapshots.c.snapshot_id).where(*_scope(instance, stream, partition))
        )


def start_snapshot(store: Store, instance: str, stream: str, partition: str, snapshot_id: str) -> None:
    """Open a new snapshot of the partition, abandoning (and forgetting) any open one."""
    with store.engine.begin() as conn:
        previous = conn.scalar(
            sa.select(open_snapshots.c.snapshot_id).where(*_scope(instance, stream, partition))
        )
        if previous is not None:
            conn.execute(snapshot_seen.delete().where(snapshot_seen.c.run_id == previous))
            conn.execute(open_snapshots.delete().where(*_scope(instance, stream, partition)))
        conn.execute(
            open_snapshots.insert().values(
                instance=instance,
                stream=stream,
                partition=partition,
                snapshot_id=snapshot_id,
                started_at=clock.now(),
            )
        )


def _scope(instance: str, stream: str, partition: str) -> list[Any]:
    o = open_snapshots
    return [o.c.instance == instance, o.c.stream == stream, o.c.partition == partition]


def _missing_filter(instance: str, stream: str, partition: str, snapshot_id: str) -> list[Any]:
    t, s = source_records, snapshot_seen
    seen = sa.exists().where(s.c.run_id == snapshot_id, s.c.record_key == t.c.record_key)
    return [
        t.c.instance == instance,
        t.c.stream == stream,
        t.c.partition == partition,
        t.c.deleted_at.is_(None),
        ~seen,
    ]


def finish_snapshot(
    store: Store,
    *,
    instance: str,
    stream: str,
    partition: str,
    run_id: str,
    policy: StreamPolicy,
    snapshot_id: str | None = None,
    force: bool = False,
) -> SnapshotOutcome:
    """Apply absence/deletion for a completed snapshot, or hold it if the guard trips.

    `run_id` is the run that completed the snapshot (held, or recorded on deleted rows);
    `snapshot_id` the snapshot's own id, when another run started it.
    """
    t = source_records
    now = clock.now()
    deletable = _deletable(policy, now)
    snapshot_id = snapshot_id or run_id
    with store.engine.begin() as conn:
        conn.execute(
            open_snapshots.delete().where(
                *_scope(instance, stream, partition), open_snapshots.c.snapshot_id == snapshot_id
            )
        )
        live = (
            conn.scalar(
                sa.select(sa.func.count()).where(
                    t.c.instance == instance,
                    t.c.stream == stream,
                    t.c.partition == partition,
                    t.c.deleted_at.is_(None),
                )
            )
            or 0
        )
        missing = _missing_filter(instance, stream, partition, snapshot_id)
        newly = conn.scalar(sa.select(sa.func.count()).where(*missing, t.c.missing_count == 0)) or 0
        would_delete = conn.scalar(sa.select(sa.func.count()).where(*missing, deletable)) or 0
        affected = newly + would_delete
        if not force and policy.guard.trips(affected, live):
            reason = (
                f"the listing of {instance}/{stream} would mark {newly:,} of {live:,} records missing and "
                f"delete {would_delete:,}; the guard allows {policy.guard.describe(live)}"
            )
            limit = policy.guard.limit(live)
            counts = {"live": live, "newly_missing": newly, "would_delete": would_delete, "limit": limit}
            hold_id = _hold(conn, instance, stream, partition, run_id, snapshot_id, reason, counts)
            supersede_holds(conn, scope=_hold_scope(instance, stream, partition), by_run=run_id, now=now)
            return SnapshotOutcome(live, newly, 0, True, hold_id, reason)
        supersede_holds(conn, scope=_hold_scope(instance, stream, partition), by_run=run_id, now=now)
        conn.execute(
            t.update()
            .where(*missing)
            .values(
                missing_count=t.c.missing_count + 1, missing_since=sa.func.coalesce(t.c.missing_since, now)
            )
        )
        deleted = (
            conn.execute(
                t.update()
                .where(
                    *_missing_filter(instance, stream, partition, snapshot_id),
                    _deletable(policy, now, after_increment=True),
                )
                .values(deleted_at=now, staged_seq=next_stamp(conn), last_run_id=run_id)
            ).rowcount
            or 0
        )
        took_stamp(conn, deleted)
        _release_absent_keyless(conn, instance, stream, partition, snapshot_id, now)
        conn.execute(snapshot_seen.delete().where(snapshot_seen.c.run_id == snapshot_id))
    return SnapshotOutcome(live, newly, deleted, False)


def _release_absent_keyless(
    conn: sa.Connection, instance: str, stream: str, partition: str, snapshot_id: str, now: Any
) -> None:
    """Close quarantine entries of records without a key that this complete listing no longer
    carries (fixed in the source, or gone): a keyless entry is otherwise never matched again.
    The listing records the fingerprints it quarantined among its seen keys."""
    q = quarantine
    listed = sa.select(snapshot_seen.c.record_key).where(snapshot_seen.c.run_id == snapshot_id)
    runs_here = sa.select(sync_runs.c.run_id).where(
        sync_runs.c.instance == instance, sync_runs.c.stream == stream, sync_runs.c.partition == partition
    )
    conn.execute(
        q.update()
        .where(
            q.c.instance == instance,
            q.c.stream == stream,
            q.c.record_key.is_(None),
            q.c.released_at.is_(None),
            q.c.fingerprint.not_in(listed),
            q.c.run_id.in_(runs_here),
        )
        .values(released_at=now)
    )


def _deletable(policy: StreamPolicy, now: Any, *, after_increment: bool = False) -> Any:
    """Rows that reach the deletion threshold with this snapshot."""
    t = source_records
    threshold = policy.deletion.missing_snapshots - (0 if after_increment else 1)
    by_count = t.c.missing_count >= threshold
    if policy.deletion.missing_days is None:
        return by_count
    cutoff = now - timedelta(days=policy.deletion.missing_days)
    return sa.or_(by_count, t.c.missing_since <= cutoff)


def _hold_scope(instance: str, stream: str, partition: str) -> str:
    return f"{instance}/{stream}/{partition}".rstrip("/")


def _hold(
    conn: sa.Connection,
    instance: str,
    stream: str,
    partition: str,
    run_id: str,
    snapshot_id: str,
    reason: str,
    counts: dict[str, int | None],
) -> str:
    hold_id = str(uuid.uuid4())
    conn.execute(
        holds.insert().values(
            id=hold_id,
            kind="mass_change",
            scope=_hold_scope(instance, stream, partition),
            state="held",
            reason=reason,
            details={
                "run_id": run_id,
                "snapshot_id": snapshot_id,
                "instance": instance,
                "stream": stream,
                "partition": partition,
                **counts,
            },
            created_at=clock.now(),
        )
    )
    return hold_id
