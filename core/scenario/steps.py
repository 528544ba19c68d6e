"""Sandbox steps of a scenario (`workday.hire: {...}`): the names agencies write, how they map
to a sandbox's admin operation, and the check that every step names a known sandbox, operation
and argument before anything runs, so a typo (`licenses:` for `licences:`) is an error at its
line instead of a step that silently tests less than its author believes."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

from core.connector.registry import discover
from core.sandbox.fleet import sandbox_class

#: scenario step names (the vocabulary agencies write) -> (sandbox admin op, argument renames)
STEP_OPS: dict[str, tuple[str, dict[str, str]]] = {
    "workday.hire": ("hire", {"org": "department"}),
    "workday.transfer": ("transfer", {"org": "department"}),
    "workday.update": ("correct", {"org": "department"}),
    "workday.rehire": ("rehire", {"org": "department"}),
    "office365.create_user": ("create_user", {"upn": "user_principal_name"}),
    "office365.disable_user": ("disable_user", {"upn": "user"}),
    "office365.delete_user": ("delete_user", {"upn": "user"}),
    "office365.assign_license": ("assign_licence", {"upn": "user", "license": "sku"}),
    "office365.enroll_device": ("enroll_device", {"upn": "user"}),
    "aws.create_iam_user": ("create_user", {"account": "account_id"}),
    "aws.create_instance": ("launch_instance", {"account": "account_id"}),
    "azure.create_resource": ("create_resource", {}),
}


def sandbox_call(kind: str, args: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(sandbox, op, args) for a sandbox step; `fields:` of an update are spread into the args."""
    name, op = kind.split(".", 1)
    renames: dict[str, str] = {}
    if kind in STEP_OPS:
        op, renames = STEP_OPS[kind]
    args = dict(args)
    if isinstance(args.get("fields"), dict):
        args.update(args.pop("fields"))
    return name, op, {renames.get(k, k): v for k, v in args.items()}


@cache
def _declared() -> dict[str, Mapping[str, frozenset[str] | None]]:
    """Sandbox name -> the admin operations and arguments its class declares."""
    found: dict[str, Mapping[str, frozenset[str] | None]] = {}
    for entry in discover():
        if entry.cls is None or not entry.cls.sandbox:
            continue
        try:
            found[entry.name] = sandbox_class(entry.cls).admin_arguments
        except (LookupError, TypeError, ImportError):
            continue  # a sandbox that cannot load takes no steps; the fleet reports why
    return found


class StepProblem(ValueError):
    """What is wrong with one sandbox step; `field` names the offending argument (for its line)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; known: {', '.join(sorted(known))}" if known else ""


def step_names(sandbox: str, ops: Mapping[str, Any]) -> list[str]:
    """Every step name a sandbox takes: its own ops and the scenario aliases that map to them."""
    names = {f"{sandbox}.{op}" for op in ops}
    names |= {kind for kind, (op, _) in STEP_OPS.items() if kind.startswith(f"{sandbox}.") and op in ops}
    return sorted(names)


def check_sandbox_step(kind: str, args: dict[str, Any]) -> None:
    """Raise StepProblem when `kind` is no sandbox step or an argument is one its operation ignores."""
    declared = _declared()
    sandbox = kind.split(".", 1)[0]
    if sandbox not in declared:
        raise StepProblem(f"unknown sandbox {sandbox!r} in step {kind!r}{_suggest(sandbox, list(declared))}")
    ops = declared[sandbox]
    _, op, call_args = sandbox_call(kind, args)
    if op not in ops:
        raise StepProblem(f"unknown step {kind!r}{_suggest(kind, step_names(sandbox, ops))}")
    allowed = ops[op]
    if allowed is None:
        return
    forward = STEP_OPS.get(kind, ("", {}))[1]
    spellings = sorted(set(allowed) | {old for old, new in forward.items() if new in allowed})
    for key in call_args:
        if key not in allowed:
            written = next((old for old, new in forward.items() if new == key and old in args), key)
            raise StepProblem(f"unknown field {written!r} in {kind}{_suggest(written, spellings)}", written)
