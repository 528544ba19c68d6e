"""`hub approve` and the console: release (or reject) a run held by the mass-change or
ticket-storm guard. Every decision is stamped on the hold (who, when) and in the operator log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import clock
from core.config.hub_config import HubConfig
from core.errors import ConfigError
from core.store.engine import Store
from core.store.operator_log import record
from core.store.schema import holds, snapshot_seen
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
    raise ConfigError(
        f"nothing is held under {ident!r}", hint="`hub approve --list` lists held runs with their ids"
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
        record(
            conn,
            actor=by,
            action="reject",
            subject=f"hold:{hold['id']}",
            detail={"scope": hold["scope"], "note": note},
        )
    return {"hold": hold["id"], "scope": hold["scope"], "state": "rejected"}
