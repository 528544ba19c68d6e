"""Reading actions back for the operator: `hub actions`, `hub explain`, the demo. One view of an
action (its audit included: who decided and when, every exchange and the system's answers)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from core.clock import iso
from core.errors import NotFoundError
from core.store.engine import Store
from core.store.schema import actions


def action_view(row: Any, *, evidence: bool = True) -> dict[str, Any]:
    """An action as `hub actions show --json` prints it (with its evidence unless asked not to)."""
    view = {
        "id": row.id,
        "kind": row.kind,
        "instance": row.instance,
        "target": row.target,
        "params": row.params,
        "policy": row.policy,
        "state": row.state,
        "ticket_key": row.ticket_key,
        "employee_id": row.employee_id,
        "tasks": row.tasks,
        "due_at": iso(row.due_at),
        "decided_by": row.decided_by,
        "decided_at": iso(row.decided_at),
        "hold_id": row.hold_id,
        "attempts": row.attempts,
        "error": row.error,
        "done_at": iso(row.done_at),
        "reverses": row.reverses,
    }
    if evidence:
        view["plan"] = row.plan
        view["evidence"] = row.evidence
    return view


def list_actions(
    store: Store,
    *,
    state: str | None = None,
    employee_id: str | None = None,
    person_id: str | None = None,
    evidence: bool = False,
) -> list[dict[str, Any]]:
    """Actions, soonest due first."""
    query = sa.select(actions).order_by(actions.c.due_at, actions.c.id)
    if state:
        query = query.where(actions.c.state == state)
    if employee_id:
        query = query.where(actions.c.employee_id == employee_id)
    if person_id:
        query = query.where(actions.c.person_id == person_id)
    with store.engine.connect() as conn:
        return [action_view(r, evidence=evidence) for r in conn.execute(query)]


def show_action(store: Store, ident: str) -> dict[str, Any]:
    """One action by its id or a prefix of it (8+ characters)."""
    from core.approvals import find_action

    found = find_action(store, ident)
    if found is None:
        raise NotFoundError(f"no action {ident!r}", hint="`hub actions list` shows the ids")
    return action_view(SimpleNamespace(**found))  # the whole row, already read
