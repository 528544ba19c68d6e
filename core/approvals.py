"""`hub approve` and the console: release (or reject) a run held by the mass-change or
ticket-storm guard, and the hub's own actions waiting for an approval (`approve` policy) or held
by the mass-disable guard. Every decision is stamped on the hold or action (who, when) and in the
operator log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import clock
from core.config.hub_config import HubConfig
from core.errors import ConfigError, NotFoundError
from core.store.engine import Store
from core.store.operator_log import record
from core.store.schema import actions, holds, snapshot_seen
from core.store.snapshots import finish_snapshot


def find_hold(store: Store, ident: str) -> dict[str, Any]:
    """A held hold by its id or by the id of the sync run it holds.

    A hold that is no longer held is refused with what happened to it (superseded by a later
    listing, already approved or applied), never silently re-applied."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(holds).order_by(holds.c.created_at.desc())).all()
    matching = [dict(r._mapping) for r in rows if r.id == ident or (r.details or {}).get("run_id") == ident]
    for hold in matching:
        if hold["state"] == "held":
            return hold
    if matching:
        raise ConfigError(_not_held(matching[0]), hint="`hub approve --list` shows what is still held")
    raise NotFoundError(
        f"nothing is held under {ident!r}",
        hint="`hub approve --list` lists held runs and actions awaiting approval with their ids",
    )


def _not_held(hold: dict[str, Any]) -> str:
    when = f" at {hold['decided_at']:%Y-%m-%d %H:%M} UTC" if hold["decided_at"] else ""
    by = hold["decided_by"] or "an earlier decision"
    if hold["state"] == "superseded":
        return (
            f"hold {hold['id']} of {hold['scope']} was superseded by {by}{when}: a later complete "
            "listing of the same stream replaced the one it held, so there is nothing to approve"
        )
    return f"hold {hold['id']} of {hold['scope']} was already {hold['state']} by {by}{when}"


def approve(store: Store, config: HubConfig, ident: str, *, by: str = "operator") -> dict[str, Any]:
    """Approve a hold. A held snapshot is applied now; a held resolution or ticket storm on the next pass."""
    hold = find_hold(store, ident)
    details = hold["details"] or {}
    if hold["kind"] == "mass_change" and "run_id" in details:
        policy = config.instance(details["instance"]).stream_policy(details["stream"])
        outcome = finish_snapshot(
            store,
            instance=details["instance"],
            stream=details["stream"],
            partition=details.get("partition", ""),
            run_id=details["run_id"],
            snapshot_id=details.get("snapshot_id"),
            policy=policy,
            force=True,
        )
        state, result = "applied", {"deleted": outcome.deleted, "newly_missing": outcome.newly_missing}
    else:
        state, result = "approved", {}
    with store.engine.begin() as conn:
        conn.execute(
            holds.update()
            .where(holds.c.id == hold["id"])
            .values(state=state, decided_at=clock.now(), decided_by=by)
        )
        if hold["kind"] == "mass_action":  # the held disables run on the next delivery pass
            released = conn.execute(
                actions.update()
                .where(actions.c.hold_id == hold["id"], actions.c.state == "held")
                .values(state="approved", decided_by=by, decided_at=clock.now(), updated_at=clock.now())
            )
            result = {"actions": released.rowcount}
        record(
            conn, actor=by, action="approve", subject=f"hold:{hold['id']}", detail={"scope": hold["scope"]}
        )
    return {"hold": hold["id"], "scope": hold["scope"], "state": state, **result}


def reject(store: Store, ident: str, *, by: str = "operator", note: str = "") -> dict[str, Any]:
    """Refuse a hold: the held listing is never applied (its collected keys are dropped) and the
    held tickets are not opened. The guard asks again if a later run still trips it, so a
    rejection answers this question, not every future one."""
    hold = find_hold(store, ident)
    details = dict(hold["details"] or {})
    if note:
        details["rejection_note"] = note
    with store.engine.begin() as conn:
        conn.execute(
            holds.update()
            .where(holds.c.id == hold["id"], holds.c.state == "held")
            .values(state="rejected", decided_at=clock.now(), decided_by=by, details=details)
        )
        if details.get("snapshot_id"):
            conn.execute(snapshot_seen.delete().where(snapshot_seen.c.run_id == details["snapshot_id"]))
        if hold["kind"] == "mass_action":
            conn.execute(
                actions.update()
                .where(actions.c.hold_id == hold["id"], actions.c.state == "held")
                .values(state="rejected", decided_by=by, decided_at=clock.now(), updated_at=clock.now())
            )
        record(
            conn,
            actor=by,
            action="reject",
            subject=f"hold:{hold['id']}",
            detail={"scope": hold["scope"], "note": note},
        )
    return {"hold": hold["id"], "scope": hold["scope"], "state": "rejected"}


#: an action id written shorter than this is refused (too likely to name the wrong one)
MIN_ACTION_PREFIX = 8
APPROVABLE = ("awaiting_approval", "held")


def find_action(store: Store, ident: str) -> dict[str, Any] | None:
    """The action whose id (its idempotency key) starts with `ident`; None if `ident` names no
    action. Ambiguous or too short prefixes are refused, never guessed."""
    if len(ident) < MIN_ACTION_PREFIX or not all(c in "0123456789abcdef" for c in ident.lower()):
        return None
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(actions).where(actions.c.id.startswith(ident.lower())).limit(2)).all()
    if len(rows) > 1:
        raise ConfigError(f"{ident!r} names more than one action", hint="give more of its id (`hub actions`)")
    return dict(rows[0]._mapping) if rows else None


def _decide_action(store: Store, ident: str, state: str, by: str, note: str = "") -> dict[str, Any]:
    action = find_action(store, ident)
    if action is None:
        raise NotFoundError(f"no action {ident!r}", hint="`hub actions list` lists them with their ids")
    if action["state"] not in APPROVABLE:
        when = f" at {action['decided_at']:%Y-%m-%d %H:%M} UTC" if action["decided_at"] else ""
        who = f" by {action['decided_by']}" if action["decided_by"] else ""
        raise ConfigError(
            f"action {action['id'][:12]} ({action['kind']} on {action['target']}) is {action['state']}"
            f"{who}{when}: there is nothing to decide",
            hint="`hub actions` shows what waits for an approval",
        )
    now = clock.now()
    with store.engine.begin() as conn:
        done = conn.execute(
            actions.update()
            .where(actions.c.id == action["id"], actions.c.state.in_(APPROVABLE))
            .values(
                state=state,
                decided_by=by,
                decided_at=now,
                updated_at=now,
                **({"error": f"rejected: {note}" if note else "rejected"} if state == "rejected" else {}),
            )
        )
        if done.rowcount != 1:
            raise ConfigError(f"action {action['id'][:12]} was decided meanwhile; see `hub actions`")
        record(
            conn,
            actor=by,
            action="approve" if state == "approved" else "reject",
            subject=f"action:{action['id']}",
            detail={
                "kind": action["kind"],
                "target": action["target"],
                "ticket": action["ticket_key"],
                "note": note,
            },
        )
    return {"action": action["id"], "kind": action["kind"], "target": action["target"], "state": state}


def approve_action(store: Store, ident: str, *, by: str = "operator") -> dict[str, Any]:
    """Approve an action: it runs at its due moment (at once when that has passed) on the next
    delivery pass."""
    return _decide_action(store, ident, "approved", by)


def reject_action(store: Store, ident: str, *, by: str = "operator", note: str = "") -> dict[str, Any]:
    """Refuse an action: it never runs; its task stays open for a technician."""
    return _decide_action(store, ident, "rejected", by, note)


def approve_any(store: Store, config: HubConfig, ident: str, *, by: str = "operator") -> dict[str, Any]:
    """`hub approve ID`: an action (by id or a prefix of 8+ characters) or a hold."""
    if find_action(store, ident) is not None:
        return approve_action(store, ident, by=by)
    return approve(store, config, ident, by=by)
