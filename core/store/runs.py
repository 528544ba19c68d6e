"""The run ledger: every sync run with its counts, state before/after, status and error.

A run records the host and process that runs it and a heartbeat. A `running` row whose process
is gone (killed with -9, its host lost) would read "running" forever, so it is reconciled to
`abandoned` when its stream next starts and whenever `hub status` looks: when its process is
not alive on this host, or its heartbeat is older than `STALE_AFTER` (any host).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.engine import Store
from core.store.records import BatchCounts
from core.store.schema import sync_runs
from core.vocabulary import ErrorKind, RunStatus

#: a run that has not shown life for this long is abandoned, wherever it ran; the heartbeat moves
#: at least every `HEARTBEAT_SECONDS` while records flow, and a Retry-After wait is at most 5 min
STALE_AFTER = timedelta(minutes=30)
HEARTBEAT_SECONDS = 60.0
#: runs this process has started and not finished (their pid is ours, but they are not abandoned)
_ACTIVE: set[str] = set()


def start_run(
    store: Store,
    *,
    instance: str,
    stream: str,
    partition: str,
    state_before: dict[str, Any] | None,
    full_refresh: bool,
) -> str:
    """Open a `running` row for this process, after abandoning dead runs of the same partition."""
    run_id = str(uuid.uuid4())
    now = clock.now()
    with store.engine.begin() as conn:
        t = sync_runs
        _reconcile(conn, [t.c.instance == instance, t.c.stream == stream, t.c.partition == partition], now)
        conn.execute(
            sync_runs.insert().values(
                run_id=run_id,
                instance=instance,
                stream=stream,
                partition=partition,
                status="running",
                started_at=now,
                full_refresh=full_refresh,
                state_before=state_before,
                host=socket.gethostname(),
                pid=os.getpid(),
                heartbeat_at=now,
            )
        )
    _ACTIVE.add(run_id)
    return run_id


def heartbeat(store: Store, run_id: str) -> None:
    """The run is alive (called by the runner at most every `HEARTBEAT_SECONDS`)."""
    with store.engine.begin() as conn:
        conn.execute(
            sync_runs.update()
            .where(sync_runs.c.run_id == run_id, sync_runs.c.status == "running")
            .values(heartbeat_at=clock.now())
        )


def reconcile_runs(store: Store) -> int:
    """Abandon every `running` row whose process is gone (for `hub status`); returns how many."""
    with store.engine.begin() as conn:
        return _reconcile(conn, [], clock.now())


def _reconcile(conn: sa.Connection, scope: list[Any], now: datetime) -> int:
    rows = conn.execute(
        sa.select(
            sync_runs.c.run_id,
            sync_runs.c.host,
            sync_runs.c.pid,
            sync_runs.c.heartbeat_at,
            sync_runs.c.started_at,
        ).where(sync_runs.c.status == "running", *scope)
    ).all()
    abandoned = 0
    for row in rows:
        why = _gone(row, now)
        if why is None:
            continue
        abandoned += (
            conn.execute(
                sync_runs.update()
                .where(sync_runs.c.run_id == row.run_id, sync_runs.c.status == "running")
                .values(
                    status="abandoned",
                    finished_at=now,
                    error=f"abandoned: {why}; the next run resumes from the last committed checkpoint",
                )
            ).rowcount
            or 0
        )
    return abandoned


def _gone(row: Any, now: datetime) -> str | None:
    """Why the run's process is gone, or None while it may still be running."""
    where = f"pid {row.pid} on {row.host}" if row.pid is not None else "its process"
    if row.host == socket.gethostname() and row.pid is not None:
        if row.pid == os.getpid():
            if row.run_id not in _ACTIVE:
                return f"{where} (this process) no longer runs it"
        elif not _pid_alive(row.pid):
            return f"{where} is no longer running"
    last = row.heartbeat_at or row.started_at
    if now - last > STALE_AFTER:
        return f"no sign of life from {where} since {last:%Y-%m-%d %H:%M} UTC"
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def finish_run(
    store: Store,
    run_id: str,
    *,
    status: RunStatus,
    read: int,
    counts: BatchCounts,
    missing: int = 0,
    state_after: dict[str, Any] | None = None,
    snapshot_complete: bool = False,
    error: str | None = None,
    error_kind: ErrorKind | None = None,
) -> None:
    _ACTIVE.discard(run_id)
    with store.engine.begin() as conn:
        conn.execute(
            sync_runs.update()
            .where(sync_runs.c.run_id == run_id)
            .values(
                status=status,
                finished_at=clock.now(),
                read=read,
                inserted=counts.inserted,
                updated=counts.updated,
                unchanged=counts.unchanged,
                deleted=counts.deleted,
                missing=missing,
                quarantined=counts.quarantined,
                state_after=state_after,
                snapshot_complete=snapshot_complete,
                error=error,
                error_kind=error_kind,
            )
        )


def last_runs(store: Store) -> list[dict[str, Any]]:
    """The most recent run of every (instance, stream, partition)."""
    t = sync_runs
    latest = (
        sa.select(t.c.instance, t.c.stream, t.c.partition, sa.func.max(t.c.started_at).label("started_at"))
        .group_by(t.c.instance, t.c.stream, t.c.partition)
        .subquery()
    )
    query = (
        sa.select(t)
        .join(
            latest,
            sa.and_(
                t.c.instance == latest.c.instance,
                t.c.stream == latest.c.stream,
                t.c.partition == latest.c.partition,
                t.c.started_at == latest.c.started_at,
            ),
        )
        .order_by(t.c.instance, t.c.stream, t.c.partition)
    )
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def get_run(store: Store, run_id: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(sync_runs).where(sync_runs.c.run_id == run_id)).first()
    return dict(row._mapping) if row else None
