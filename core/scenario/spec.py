"""The scenario file format, validated up front: every unknown step or field is an error that
names the file and line, before anything runs.

```yaml
name: future-dated termination, then reversed
start: 2026-03-01
scale: 12                 # optional: people in the seeded organisation (default 12)
config: {lifecycle: {...}} # optional: hub.yaml sections to override (policies under test)
steps:
  - workday.hire: {employee_id: E9001, ...}
  - sync: {}
  - expect: {tickets: [...]}
  - advance: 30d
```

The hub's own actions: `actions_enabled: [office365, aws]` grants those sandboxes' write
permissions and opts their instances in; `approve: {actions: all | KIND}` and `reject: {actions:
...}` decide the actions awaiting approval; `sync: {crash_during_actions: true}` crashes after the
first action reached the system; `expect: {actions: [{kind, state, count, error_contains}], sandbox:
[{office365.user_state: {user: UPN}, is: {account_enabled: false}}, {aws.write_requests: {}, is:
{count: 1}}]}` checks the hub's records and the sandboxes' own state.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core.config.yaml_lines import Location, line_of, load_yaml_with_lines, read_text
from core.errors import ConfigError
from core.scenario.steps import StepProblem, check_sandbox_step

TOP_LEVEL = {"name", "description", "start", "scale", "seed", "config", "sink", "steps", "actions_enabled"}
ENGINE_STEPS = {"sync", "advance", "approve", "reject", "expect"}
SYNC_FIELDS = {"only", "crash_during_delivery", "crash_during_actions"}
EXPECT_FIELDS = {"tickets", "no_tickets_for", "persons", "findings", "run_held", "sandbox", "actions"}
TICKET_FIELDS = {
    "employee_id",
    "type",
    "state",
    "priority",
    "due",
    "tasks_include",
    "tasks_exclude",
    "tasks_closed",
    "tasks_open",
}
DURATION = re.compile(r"^(\d+)\s*([dhm])$")


@dataclass(frozen=True)
class Step:
    kind: str  # sync, advance, approve, reject, expect, or "<sandbox>.<op>"
    args: dict[str, Any]
    line: int | None

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else "?"


@dataclass
class Scenario:
    name: str
    path: str
    start: date
    steps: list[Step]
    scale: int = 12
    seed: int = 7
    sink: str = "builtin"
    config: dict[str, Any] = field(default_factory=dict)
    #: sandboxes whose instances opt in to the hub's write actions (permissions granted)
    actions_enabled: list[str] = field(default_factory=list)

    @property
    def sandboxes(self) -> list[str]:
        """Sandboxes the steps drive (Workday always: it is the person system of record)."""
        used = {s.kind.split(".", 1)[0] for s in self.steps if "." in s.kind}
        return sorted(used | {"workday"})


def parse_duration(text: str, where: str) -> timedelta:
    match = DURATION.match(str(text).strip())
    if not match:
        raise ConfigError(
            f"{where}: advance {text!r} is not a duration", hint="use 30d, 4h or 15m, or {to: DATE}"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "m": timedelta(minutes=amount)}[unit]


def load_scenario(path: Path) -> Scenario:
    data, lines = load_yaml_with_lines(read_text(path), str(path))

    def fail(message: str, loc: Location, hint: str | None = None) -> ConfigError:
        line = line_of(lines, loc)
        return ConfigError(f"{path}{f':{line}' if line else ''}: {message}", hint=hint)

    if not isinstance(data, dict):
        raise fail("a scenario is a mapping with name, start and steps", ())
    for key in data:
        if key not in TOP_LEVEL:
            raise fail(
                f"unknown scenario field {key!r}", (key,), hint=f"known: {', '.join(sorted(TOP_LEVEL))}"
            )
    for required in ("name", "start", "steps"):
        if required not in data:
            raise fail(f"scenario needs {required!r}", ())
    start = data["start"]
    if not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError:
            raise fail(f"start {start!r} is not a date (YYYY-MM-DD)", ("start",)) from None
    steps = []
    for i, raw in enumerate(data["steps"] or []):
        if not isinstance(raw, dict) or len(raw) != 1:
            raise fail("each step is one `name: arguments` pair", ("steps", i))
        ((kind, args),) = raw.items()
        step = Step(
            str(kind), args if isinstance(args, dict) else {"value": args}, line_of(lines, ("steps", i))
        )
        _check_step(step, fail, ("steps", i, kind))
        steps.append(step)
    return Scenario(
        name=str(data["name"]),
        path=str(path),
        start=start,
        steps=steps,
        scale=int(data.get("scale", 12)),
        seed=int(data.get("seed", 7)),
        sink=str(data.get("sink", "builtin")),
        config=data.get("config") or {},
        actions_enabled=[str(n) for n in data.get("actions_enabled") or []],
    )


def _check_step(step: Step, fail: Any, loc: Location) -> None:
    if "." in step.kind:
        try:
            check_sandbox_step(step.kind, step.args)
        except StepProblem as problem:
            where = loc if problem.field is None else _field_location(step, loc, problem.field)
            raise fail(str(problem), where) from None
        return
    if step.kind not in ENGINE_STEPS:
        close = difflib.get_close_matches(step.kind, sorted(ENGINE_STEPS), n=1, cutoff=0.6)
        raise fail(
            f"unknown step {step.kind!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
            loc,
            hint="steps: sync, advance, approve, reject, expect, or <sandbox>.<op> (workday.hire, ...)",
        )
    allowed = {
        "sync": SYNC_FIELDS,
        "expect": EXPECT_FIELDS,
        "approve": {"hold", "actions"},
        "reject": {"actions", "note"},
        "advance": {"value", "to"},
    }
    for key in step.args:
        if key not in allowed[step.kind]:
            raise fail(
                f"unknown field {key!r} in {step.kind}{_did_you_mean(key, allowed[step.kind])}",
                (*loc, key),
                hint=f"known: {', '.join(sorted(allowed[step.kind]))}",
            )
    for i, ticket in enumerate(step.args.get("tickets") or []):
        for key in ticket:
            if key not in TICKET_FIELDS:
                raise fail(
                    f"unknown ticket field {key!r}{_did_you_mean(key, TICKET_FIELDS)}",
                    (*loc, "tickets", i, key),
                    hint=f"known: {', '.join(sorted(TICKET_FIELDS))}",
                )


def _did_you_mean(word: str, known: set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _field_location(step: Step, loc: Location, name: str) -> Location:
    """Where a step's argument is written: directly, or inside its `fields:` mapping."""
    if name not in step.args and isinstance(step.args.get("fields"), dict):
        return (*loc, "fields", name)
    return (*loc, name)
