"""The run ledger: every sync run with its counts, state before/after, status and error."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.engine import Store
from core.store.records import BatchCounts
from core.store.schema import sync_runs
from core.vocabulary import ErrorKind, RunStatus


def start_run(
    store: Store,
    *,
    instance: str,
    stream: str,
    partition: str,
    state_before: dict[str, Any] | None,
    full_refresh: bool,
) -> str:
    run_id = str(uuid.uuid4())
    with store.engine.begin() as conn:
        conn.execute(
            sync_runs.insert().values(
                run_id=run_id,
                instance=instance,
                stream=stream,
                partition=partition,
                status="running",
                started_at=clock.now(),
                full_refresh=full_refresh,
                state_before=state_before,
            )
        )
    return run_id


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
