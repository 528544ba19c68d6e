"""The Overview page's data: every source instance and stream, its last run and its freshness,
what is held and which ticket intents gave up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core import clock
from core.actions.query import list_actions
from core.airflow.console.freshness import Freshness, freshness
from core.config.hub_config import HubConfig
from core.status import open_holds
from core.store.engine import Store
from core.store.runs import last_runs
from core.store.schema import outbox, sync_runs

COUNTS = ("read", "inserted", "updated", "deleted", "quarantined")
#: run statuses whose data landed (a held run's records are staged; only its deletions wait)
LANDED = ("succeeded", "held", "partial")


#: the worse of two states wins when partitions are summed up (later = worse)
STATUS_ORDER = ("succeeded", "running", "partial", "held", "abandoned", "failed")
FRESHNESS_ORDER = ("manual", "fresh", "unknown", "never", "late")


@dataclass
class StreamRow:
    instance: str
    stream: str
    partitions: int
    status: str
    started_at: datetime | None
    duration: timedelta | None
    counts: dict[str, int]
    error: str | None
    freshness: Freshness


def _last_landed(store: Store) -> dict[tuple[str, str, str], datetime]:
    t = sync_runs
    query = (
        sa.select(t.c.instance, t.c.stream, t.c.partition, sa.func.max(t.c.finished_at))
        .where(t.c.status.in_(LANDED))
        .group_by(t.c.instance, t.c.stream, t.c.partition)
    )
    with store.engine.connect() as conn:
        return {(i, s, p): f for i, s, p, f in conn.execute(query) if f is not None}


def stream_rows(store: Store, config: HubConfig) -> list[StreamRow]:
    """One row per (instance, stream, partition) that has run, in name order."""
    now = clock.now()
    landed = _last_landed(store)
    instances = {i.name: i for i in config.instances}
    rows = []
    for run in last_runs(store):
        instance = instances.get(run["instance"])
        schedule = instance.schedule if instance else None
        grace = timedelta(minutes=instance.max_run_minutes if instance else 120)
        key = (run["instance"], run["stream"], run["partition"])
        finished = run["finished_at"]
        rows.append(
            StreamRow(
                instance=run["instance"],
                stream=run["stream"],
                partitions=1,
                status=run["status"],
                started_at=run["started_at"],
                duration=(finished - run["started_at"]) if finished and run["started_at"] else None,
                counts={k: int(run[k] or 0) for k in COUNTS},
                error=run["error"],
                freshness=freshness(schedule, landed.get(key), now, grace),
            )
        )
    return _by_stream(rows)


def _rank(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else len(order)


def _by_stream(rows: list[StreamRow]) -> list[StreamRow]:
    """One row per instance and stream: partitions' counts summed, the latest start, the longest
    run, the worst status and freshness (one failing AWS region makes the stream fail)."""
    merged: dict[tuple[str, str], StreamRow] = {}
    for row in rows:
        key = (row.instance, row.stream)
        into = merged.get(key)
        if into is None:
            merged[key] = row
            continue
        into.partitions += 1
        into.counts = {k: into.counts[k] + row.counts[k] for k in COUNTS}
        if row.started_at and (into.started_at is None or row.started_at > into.started_at):
            into.started_at = row.started_at
        if row.duration and (into.duration is None or row.duration > into.duration):
            into.duration = row.duration
        if _rank(STATUS_ORDER, row.status) > _rank(STATUS_ORDER, into.status):
            into.status, into.error = row.status, row.error
        if _rank(FRESHNESS_ORDER, row.freshness.state) > _rank(FRESHNESS_ORDER, into.freshness.state):
            into.freshness = row.freshness
    return list(merged.values())


def dead_intents(store: Store) -> list[dict[str, Any]]:
    """Ticket intents the outbox stopped retrying (`dead`), oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox).where(outbox.c.state == "dead").order_by(outbox.c.id))
        return [dict(r._mapping) for r in rows]


def overview(store: Store, config: HubConfig) -> dict[str, Any]:
    return {
        "streams": stream_rows(store, config),
        "holds": open_holds(store),
        "waiting": list_actions(store, state="awaiting_approval"),
        "dead": dead_intents(store),
    }
