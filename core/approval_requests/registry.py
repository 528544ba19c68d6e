"""What can be approved from outside the hub: a small registry of subject kinds.

Each kind says how to list what waits for a decision, how to find one subject (refusing, with the
reason, one that no longer waits) and how to approve or reject it as a named person. Held runs
(`hold`) are registered by `core.approval_requests.holds`; another kind registers the same way, in
a module named in `BUILTIN_KINDS` (so every process loads it):

    register(ApprovableKind(
        name="action",
        pending=lambda hub: [Pending(...), ...],
        find=lambda hub, subject_id: Pending(...),          # HubError if no longer pending
        approve=lambda hub, subject_id, by: {...},          # the decision, as the CLI's would be
        reject=lambda hub, subject_id, by, note: {...},
    ))

The handlers are the same functions `hub approve` and the console call, so a decision from Teams
is recorded (who, when, operator log) exactly as one from the CLI.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.hub import Hub


@dataclass(frozen=True)
class Pending:
    """One subject waiting for a decision, as a card shows it (no secrets, no payloads)."""

    kind: str
    subject_id: str
    title: str
    text: str


@dataclass(frozen=True)
class ApprovableKind:
    name: str
    pending: Callable[[Hub], list[Pending]]
    find: Callable[[Hub, str], Pending]
    approve: Callable[[Hub, str, str], Mapping[str, Any]]
    reject: Callable[[Hub, str, str, str], Mapping[str, Any]]


_KINDS: dict[str, ApprovableKind] = {}


def register(kind: ApprovableKind) -> None:
    """Add (or replace, for a reloaded module) the handlers of one subject kind."""
    if not kind.name or ":" in kind.name:
        raise ValueError(f"an approvable kind needs a plain name, not {kind.name!r}")
    _KINDS[kind.name] = kind


def kind(name: str) -> ApprovableKind:
    _load_builtin()
    try:
        return _KINDS[name]
    except KeyError:
        raise ConfigError(
            f"nothing approvable of kind {name!r}", hint=f"known kinds: {', '.join(sorted(_KINDS))}"
        ) from None


def kinds() -> list[ApprovableKind]:
    _load_builtin()
    return [_KINDS[name] for name in sorted(_KINDS)]


#: modules that register a kind when imported: every process that posts cards or receives
#: answers (the scheduler's tasks, the console) loads them, so add a new kind's module here
BUILTIN_KINDS: tuple[str, ...] = ("core.approval_requests.holds", "core.approval_requests.actions")


def _load_builtin() -> None:
    for module in BUILTIN_KINDS:
        importlib.import_module(module)
