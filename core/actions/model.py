"""The typed shapes of an action: what to do, what a dry run found, and what was exchanged."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from core.errors import ConfigError
from core.vocabulary import ACTION_KINDS, ActionKind


class ActionsDisabledError(ConfigError):
    """The connector instance has not opted in to write actions (`actions_enabled: true`)."""


def require_opt_in(instance: str, enabled: bool) -> None:
    """Refuse to build executors for an instance that keeps its read-only promise."""
    if not enabled:
        raise ActionsDisabledError(
            f"{instance}: write actions are off for this instance",
            hint="set actions_enabled: true in its config after granting the write permissions "
            "listed in the connector README",
        )


@dataclass(frozen=True)
class Action:
    """One action on one target. `target` names the object in the system's own terms (an Entra
    user id or UPN; an IAM user as `account_id/user_name`); `requested_at` is when the hub decided
    to act, which lets a session revocation tell whether it already happened since."""

    kind: ActionKind
    instance: str
    target: str
    requested_at: datetime
    reason: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ACTION_KINDS:
            raise ValueError(f"unknown action kind {self.kind!r}; known: {', '.join(ACTION_KINDS)}")
        if not self.target.strip():
            raise ValueError(f"action {self.kind} on {self.instance}: target is empty")

    @property
    def idempotency_key(self) -> str:
        """Same kind, instance, target and reason: the same action, however often it is planned."""
        text = "\x1f".join([self.kind, self.instance, self.target, self.reason, repr(self.params)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def param(self, name: str, default: str = "") -> str:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class Exchange:
    """One request the executor sent and what the system answered (the audit evidence)."""

    request: str
    body: Any
    status: int
    answer: Any


@dataclass(frozen=True)
class Plan:
    """What a dry run found: the current state read, the changes `execute()` would make (empty
    when the target is already as wanted), and what it will not touch, with why (a dynamic group's
    membership): the task then stays open for a technician with that note."""

    action: Action
    current: dict[str, Any]
    changes: tuple[str, ...]
    left: tuple[str, ...] = ()

    @property
    def noop(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class Outcome:
    """What `execute()` did: the plan it acted on and every exchange with the system."""

    plan: Plan
    exchanges: tuple[Exchange, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.exchanges)


class Executor(Protocol):
    """One action kind against one connector instance."""

    kind: ClassVar[ActionKind]

    def plan(self, action: Action) -> Plan:
        """Read the current state and say what would change; never writes."""
        ...

    def execute(self, action: Action) -> Outcome:
        """Plan again, then send only what is still needed."""
        ...
