"""Dry runs of actions for `hub plan`: what each executor reads now and would change, never a
write. Covers the actions an evaluation would plan and those planned earlier that have not run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.actions.stage import ExecutorCache, action_of
from core.store.schema import actions
from core.tickets.dead_letter import describe_error
from core.vocabulary import OPEN_ACTION_STATES

if TYPE_CHECKING:
    from core.hub import Hub


class _Row:
    """A planned action's dict (from an evaluation that was rolled back) read like a store row."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def dry_runs(hub: Hub, planned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with hub.store.engine.connect() as conn:
        waiting = conn.execute(
            sa.select(actions).where(actions.c.state.in_(OPEN_ACTION_STATES)).order_by(actions.c.due_at)
        ).all()
    rows: list[Any] = [_Row(p) for p in planned]
    seen = {r.id for r in rows}
    rows += [r for r in waiting if r.id not in seen]
    executors = ExecutorCache(hub)
    results = []
    for row in rows:
        result: dict[str, Any] = {
            "id": row.id,
            "kind": row.kind,
            "instance": row.instance,
            "target": row.target,
            "policy": row.policy,
            "state": row.state,
            "ticket_key": row.ticket_key,
            "due_at": row.due_at.isoformat(),
            "changes": [],
        }
        try:
            plan = executors.get(row.instance, row.kind).plan(action_of(row))
            result["changes"] = list(plan.changes)
            if plan.left:
                result["left"] = list(plan.left)
        except Exception as exc:  # a dry run that cannot read says why, for that action alone
            result["error"] = describe_error(exc)
        results.append(result)
    return results
