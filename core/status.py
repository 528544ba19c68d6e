"""What `hub status` reports: streams' last runs, entity counts, tickets, holds, queues."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.clock import iso
from core.store.engine import Store
from core.store.runs import last_runs, reconcile_runs
from core.store.schema import (
    ENTITY_TABLES,
    holds,
    open_snapshots,
    quarantine,
    review_queue,
    snapshot_seen,
    tickets,
)


def stream_status(store: Store) -> list[dict[str, Any]]:
    out = []
    for run in last_runs(store):
        out.append(
            {
                "instance": run["instance"],
                "stream": run["stream"],
                "partition": run["partition"],
                "last_run": {
                    "run_id": run["run_id"],
                    "status": run["status"],
                    "started_at": iso(run["started_at"]),
                    "finished_at": iso(run["finished_at"]),
                    "error": run["error"],
                },
                "counts": {
                    k: run[k]
                    for k in ("read", "inserted", "updated", "unchanged", "deleted", "missing", "quarantined")
                },
            }
        )
    return out


def entity_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            name: int(conn.scalar(sa.select(sa.func.count()).where(table.c.deleted_at.is_(None))) or 0)
            for name, table in ENTITY_TABLES.items()
        }


def ticket_counts(store: Store) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tickets.c.type, tickets.c.state, sa.func.count()).group_by(
                tickets.c.type, tickets.c.state
            )
        )
        for ticket_type, state, n in rows:
            counts.setdefault(ticket_type, {})[state] = int(n)
    return counts


def queue_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            "quarantined": int(
                conn.scalar(sa.select(sa.func.count()).where(quarantine.c.released_at.is_(None))) or 0
            ),
            "review_open": int(
                conn.scalar(sa.select(sa.func.count()).where(review_queue.c.state == "open")) or 0
            ),
            "holds_open": int(conn.scalar(sa.select(sa.func.count()).where(holds.c.state == "held")) or 0),
        }


def open_holds(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(holds).where(holds.c.state == "held").order_by(holds.c.created_at))
        return [{k: iso(v) for k, v in row._mapping.items()} for row in rows]


def snapshots_open(store: Store) -> list[dict[str, Any]]:
    """Listings a failed run left mid-way: until one completes, absence is not applied there."""
    o, s = open_snapshots, snapshot_seen
    listed = sa.select(sa.func.count()).where(s.c.run_id == o.c.snapshot_id).scalar_subquery()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(o, listed.label("listed")).order_by(o.c.started_at))
        return [{k: iso(v) for k, v in row._mapping.items()} for row in rows]


def hub_status(store: Store) -> dict[str, Any]:
    """The document `hub status --json` prints (extended by lifecycle deadline reporting)."""
    from core.lifecycle.deadlines import deadline_report
    from core.tickets.dead_letter import outbox_counts

    reconcile_runs(store)  # a run whose process is gone shows as abandoned, not running forever
    return {
        "streams": stream_status(store),
        "entities": entity_counts(store),
        "tickets": ticket_counts(store),
        "queues": queue_counts(store),
        "outbox": outbox_counts(store),
        "holds": open_holds(store),
        "snapshots_open": snapshots_open(store),
        "deadlines": deadline_report(store),
    }
