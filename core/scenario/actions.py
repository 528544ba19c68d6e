"""Scenario support for the hub's own actions: opting sandbox instances in (the write
permissions granted in the sandbox, `actions_enabled` in the hub's config), approving actions,
and checking the sandboxes' state and write counts afterwards (`expect: {sandbox: [...]}`).

The state is read from the sandbox's admin API, never from the hub's store: the point of these
checks is that the system itself shows what the hub claims to have done."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.sandbox.fleet import SandboxFleet
from core.store.engine import Store
from core.store.schema import actions

#: per sandbox: what granting its write actions takes (the least-privilege grants of its README)
GRANTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "office365": [
        ("grant_permission", {"permission": p})
        for p in (
            "User.EnableDisableAccount.All",
            "User.RevokeSessions.All",
            "LicenseAssignment.ReadWrite.All",
            "GroupMember.ReadWrite.All",
        )
    ],
    "aws": [("grant_actions", {})],
    "azure": [("grant_tag_contributor", {})],
}


def opt_in(document: dict[str, Any], fleet: SandboxFleet, names: list[str]) -> dict[str, Any]:
    """Grant the write permissions in each named sandbox and set `actions_enabled` on its instance."""
    for name in names:
        sandbox = fleet.sandboxes.get(name)
        if sandbox is None or name not in GRANTS:
            raise ValueError(
                f"actions_enabled: no {name} sandbox with write actions (known: {', '.join(GRANTS)})"
            )
        for op, args in GRANTS[name]:
            with sandbox.lock:
                sandbox.admin(op, args)
    instances = [
        {**i, "config": {**i["config"], "actions_enabled": True}} if i["name"] in names else i
        for i in document["instances"]
    ]
    return {**document, "instances": instances}


def check_sandbox(fleet: SandboxFleet, expected: list[dict[str, Any]]) -> list[str]:
    """Each item: `{<sandbox>.<op>: {args}, is: {field: value}}`; the op's answer must match."""
    failures = []
    for item in expected:
        ((step, args),) = ((k, v) for k, v in item.items() if k != "is")
        name, op = step.split(".", 1)
        sandbox = fleet.sandboxes.get(name)
        if sandbox is None:
            failures.append(f"sandbox {name} is not running")
            continue
        with sandbox.lock:
            answer = sandbox.admin(op, dict(args or {}))
        for field, want in (item.get("is") or {}).items():
            if answer.get(field) != want:
                failures.append(f"{step} {args}: {field} is {answer.get(field)!r}, expected {want!r}")
    return failures


def check_actions(store: Store, expected: list[dict[str, Any]]) -> list[str]:
    """Each item names an action by kind (and employee) and the state it must be in."""
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(actions))]
    if not expected:  # `actions: []` says the hub planned nothing at all, not "check nothing"
        return (
            [
                f"expected no actions, found {len(rows)}: "
                + ", ".join(f"{r['kind']} {r['employee_id']} {r['state']}" for r in rows)
            ]
            if rows
            else []
        )
    failures = []
    for want in expected:
        matching = [
            r
            for r in rows
            if r["kind"] == want["kind"]
            and ("employee_id" not in want or r["employee_id"] == str(want["employee_id"]))
        ]
        if "count" in want and len(matching) != int(want["count"]):
            failures.append(f"{want['kind']}: expected {want['count']} action(s), found {len(matching)}")
        if "state" in want and not any(r["state"] == want["state"] for r in matching):
            seen = ", ".join(r["state"] for r in matching) or "none"
            failures.append(f"{want['kind']}: no action in state {want['state']} (states: {seen})")
        if "error_contains" in want and not any(
            str(want["error_contains"]) in (r["error"] or "") for r in matching
        ):
            seen = "; ".join(str(r["error"]) for r in matching) or "none"
            failures.append(
                f"{want['kind']}: no action whose error holds {want['error_contains']!r} (errors: {seen})"
            )
    return failures


def _awaiting(store: Store, kind: str | None) -> list[str]:
    with store.engine.connect() as conn:
        query = sa.select(actions.c.id).where(actions.c.state == "awaiting_approval")
        if kind:
            query = query.where(actions.c.kind == kind)
        return list(conn.scalars(query))


def approve_actions(store: Store, kind: str | None, by: str) -> list[str]:
    """Approve every action awaiting approval (of one kind, when given)."""
    from core.approvals import approve_action

    ids = _awaiting(store, kind)
    for ident in ids:
        approve_action(store, ident, by=by)
    return ids


def reject_actions(store: Store, kind: str | None, by: str, note: str) -> list[str]:
    """Reject every action awaiting approval (of one kind, when given)."""
    from core.approvals import reject_action

    ids = _awaiting(store, kind)
    for ident in ids:
        reject_action(store, ident, by=by, note=note)
    return ids
