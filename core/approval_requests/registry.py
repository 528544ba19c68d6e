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
        decision=lambda hub, subject_id: "approved by sam at 2026-03-05 10:00 UTC",  # optional
    ))

The handlers are the same functions `hub approve` and the console call, so a decision from Teams
is recorded (who, when, operator log) exactly as one from the CLI.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
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
    #: how a subject that no longer waits was decided, by whom and when, for the notice that
    #: tells the channel its card no longer counts (None: "decided outside Teams")
    decision: Callable[[Hub, str], str] | None = None


_KINDS: dict[str, ApprovableKind] = {}


def decided_text(state: str, by: str | None, at: datetime | None) -> str:
    """`approved by sam at 2026-03-05 10:00 UTC`: a subject's decision as a notice states it."""
    who = f" by {by}" if by else ""
    when = f" at {at:%Y-%m-%d %H:%M} UTC" if at else ""
    return f"{state.replace('_', ' ')}{who}{when}"


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
