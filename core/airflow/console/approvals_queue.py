"""The Approvals page's data: everything waiting for an operator's decision in one place, the
hub's actions awaiting approval (`approve` policy) and the runs a guard held.

An operator deciding on an action needs to see what it would change *now*, not what was true
when it was planned: each waiting action carries a fresh dry run (its executor's `plan()`, the
same one `hub plan` shows; it reads and never writes). A dry run that cannot read says why for
that action alone, so one unreachable tenant never hides the others.

A page load must not become a burst against the tenants: after a mass termination hundreds of
actions may wait, and an operator reloads the page. So the page reads the dry runs of the
`PAGE_DRY_RUNS` soonest-due actions only (the rest link to their action's page, which always reads
afresh), and shows a dry run read less than `DRY_RUN_TTL` ago for the same unchanged action again,
with the moment it was read."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.actions.query import action_view, list_actions
from core.actions.stage import ExecutorCache, action_of
from core.airflow.console.queues import holds_page
from core.approvals import APPROVABLE, find_action
from core.errors import NotFoundError
from core.store.operator_log import recent
from core.store.schema import actions, operator_actions
from core.tickets.dead_letter import describe_error

if TYPE_CHECKING:
    from core.hub import Hub


#: live dry runs per page load (soonest due first)
PAGE_DRY_RUNS = 20
#: how long a dry run of an unchanged action is shown again instead of read again
DRY_RUN_TTL = timedelta(seconds=60)
_recent: dict[tuple[str, str], dict[str, Any]] = {}
_recent_lock = threading.Lock()


def dry_run(executors: ExecutorCache, row: Any) -> dict[str, Any]:
    """`changes` the action would make now (empty: already as wanted), or the `error` that kept
    the dry run from reading, and `read_at`, when the system was read."""
    now = clock.now()
    try:
        plan = executors.get(row.instance, row.kind).plan(action_of(row))
    except Exception as exc:  # shown beside that action; the page still renders
        return {"changes": [], "error": describe_error(exc), "read_at": now}
    return {"changes": list(plan.changes), "error": None, "read_at": now}


def recent_dry_run(executors: ExecutorCache, row: Any) -> dict[str, Any]:
    """The dry run of this action as last read, if the action has not changed since and it was
    read less than DRY_RUN_TTL ago; else a fresh one (kept for the next load)."""
    key = (row.id, str(row.updated_at))
    now = clock.now()
    with _recent_lock:
        for stale in [k for k, v in _recent.items() if now - v["read_at"] >= DRY_RUN_TTL]:
            del _recent[stale]
        kept = _recent.get(key)
    if kept is not None:
        return kept
    fresh = dry_run(executors, row)
    with _recent_lock:
        _recent[key] = fresh
    return fresh


def _rows(hub: Hub, ids: list[str]) -> dict[str, Any]:
    if not ids:
        return {}
    with hub.store.engine.connect() as conn:
        return {r.id: r for r in conn.execute(sa.select(actions).where(actions.c.id.in_(ids)))}


def approvals_page(hub: Hub) -> dict[str, Any]:
    """Actions awaiting approval (soonest due first, the first PAGE_DRY_RUNS with their dry run),
    held runs, the recently decided holds and the decision log of both."""
    waiting = list_actions(hub.store, state="awaiting_approval")
    rows = _rows(hub, [a["id"] for a in waiting])
    executors = ExecutorCache(hub)
    for number, action in enumerate(waiting):
        if number < PAGE_DRY_RUNS:
            action["dry_run"] = recent_dry_run(executors, rows[action["id"]])
        else:
            action["dry_run"] = {"deferred": True}
    log = sorted(
        [*recent(hub.store, kind="hold", limit=20), *recent(hub.store, kind="action", limit=20)],
        key=lambda entry: entry["id"],
        reverse=True,
    )[:20]
    return {**holds_page(hub.store), "waiting": waiting, "log": log, "page_dry_runs": PAGE_DRY_RUNS}


def action_page(hub: Hub, ident: str) -> dict[str, Any]:
    """One action's audit as `hub actions show` prints it (plan, who decided and when, every
    exchange and answer), with a fresh dry run while it still waits for a decision."""
    found = find_action(hub.store, ident)
    if found is None:
        raise NotFoundError(f"no action {ident!r}", hint="the Approvals page lists the actions waiting")
    row = SimpleNamespace(**found)  # find_action read the whole row
    doc = action_view(row)
    doc["decidable"] = row.state in APPROVABLE
    doc["dry_run"] = dry_run(ExecutorCache(hub), row) if doc["decidable"] else None
    with hub.store.engine.connect() as conn:
        decisions = conn.execute(
            sa.select(operator_actions)
            .where(operator_actions.c.subject == f"action:{row.id}")
            .order_by(operator_actions.c.id.desc())
        )
        doc["log"] = [dict(r._mapping) for r in decisions]
    return doc
