"""The hub's own actions awaiting approval (`approve` policy) as an approvable kind: the handlers
are `core.approvals`' own, so a decision from Teams is stamped on the action and in the operator
log exactly as `hub approve ACTION` and `hub actions reject` stamp it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core import approvals
from core.actions.query import list_actions
from core.approval_requests.registry import ApprovableKind, Pending, decided_text, register
from core.errors import ConfigError

if TYPE_CHECKING:
    from core.hub import Hub

KIND = "action"


def _pending(action: Mapping[str, Any]) -> Pending:
    due = str(action["due_at"])[:16].replace("T", " ")
    return Pending(
        kind=KIND,
        subject_id=str(action["id"]),
        title=f"Approve {action['kind']} on {action['target']} ({action['instance']})",
        text=(
            f"For {action['employee_id'] or 'a leaver'} (ticket {action['ticket_key']}); runs at its due "
            f"moment, {due} UTC, once approved."
        ),
    )


def pending(hub: Hub) -> list[Pending]:
    return [_pending(a) for a in list_actions(hub.store, state="awaiting_approval")]


def find(hub: Hub, subject_id: str) -> Pending:
    action = approvals.find_action(hub.store, subject_id)
    if action is None:
        raise ConfigError(f"no action {subject_id!r}", hint="`hub actions list` shows them")
    if action["state"] not in approvals.APPROVABLE:
        raise ConfigError(f"action {subject_id[:12]} is {action['state']}: there is nothing to decide")
    return _pending(action)


def approve(hub: Hub, subject_id: str, by: str) -> Mapping[str, Any]:
    return approvals.approve_action(hub.store, subject_id, by=by)


def reject(hub: Hub, subject_id: str, by: str, note: str) -> Mapping[str, Any]:
    return approvals.reject_action(hub.store, subject_id, by=by, note=note)


def decision(hub: Hub, subject_id: str) -> str:
    action = approvals.find_action(hub.store, subject_id)
    if action is None:
        return "no longer waits (the action is gone)"
    return decided_text(action["state"], action["decided_by"], action["decided_at"])


register(
    ApprovableKind(name=KIND, pending=pending, find=find, approve=approve, reject=reject, decision=decision)
)
