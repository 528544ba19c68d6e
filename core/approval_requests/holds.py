"""Held runs (the mass-change and ticket-storm guards) as an approvable kind: the handlers are
`core.approvals`' own, so a Teams decision is stamped and logged as `hub approve` stamps it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import approvals
from core.approval_requests.registry import ApprovableKind, Pending, decided_text, register
from core.status import open_holds
from core.store.schema import holds

if TYPE_CHECKING:
    from core.hub import Hub

KIND = "hold"


def _pending(hold: Mapping[str, Any]) -> Pending:
    labels = {"ticket_storm": "Ticket storm held", "mass_action": "Mass disable held"}
    label = labels.get(hold["kind"], "Mass change held")
    return Pending(
        kind=KIND, subject_id=str(hold["id"]), title=f"{label}: {hold['scope']}", text=hold["reason"]
    )


def pending(hub: Hub) -> list[Pending]:
    return [_pending(hold) for hold in open_holds(hub.store)]


def find(hub: Hub, subject_id: str) -> Pending:
    return _pending(approvals.find_hold(hub.store, subject_id))


def approve(hub: Hub, subject_id: str, by: str) -> Mapping[str, Any]:
    return approvals.approve(hub.store, hub.config, subject_id, by=by)


def reject(hub: Hub, subject_id: str, by: str, note: str) -> Mapping[str, Any]:
    return approvals.reject(hub.store, subject_id, by=by, note=note)


def decision(hub: Hub, subject_id: str) -> str:
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(holds).where(holds.c.id == subject_id)).first()
    if row is None:
        return "no longer held (the hold is gone)"
    return decided_text(row.state, row.decided_by, row.decided_at)


register(
    ApprovableKind(name=KIND, pending=pending, find=find, approve=approve, reject=reject, decision=decision)
)
