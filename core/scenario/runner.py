"""Run a scenario: a fresh organisation in fresh sandboxes, a fresh store, the clock pinned to
the scenario's start, then each step in order. Sandbox steps go to the sandbox's admin API (the
same one `POST /_admin/{op}` exposes); `sync` runs what the DAGs run, in the same order."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core import clock
from core.approvals import approve
from core.config.hub_config import HubConfig
from core.errors import HubError
from core.hub import Hub
from core.pipeline import run_all, run_lifecycle
from core.sandbox import fake_clock
from core.sandbox.fleet import SandboxFleet
from core.scenario.actions import approve_actions, check_sandbox, opt_in, reject_actions
from core.scenario.expect import check
from core.scenario.spec import Scenario, Step, load_scenario, parse_duration
from core.scenario.steps import sandbox_call
from core.status import open_holds
from core.store.engine import open_store
from core.store.schema import tickets

Echo = Callable[[str], None]
#: the moment of day a scenario's clock starts: mid-morning in the Americas
START_HOUR_UTC = 15
#: how far the clock moves during each sandbox or engine step
STEP_DURATION = timedelta(minutes=1)


class SimulatedCrash(Exception):
    """Raised between a ticket's remote creation and its local record (crash-and-rerun tests)."""


@dataclass
class ScenarioResult:
    name: str
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    steps: int = 0


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Run:
    def __init__(self, scenario: Scenario, fleet: SandboxFleet, store_url: str, echo: Echo) -> None:
        self.scenario = scenario
        self.fleet = fleet
        self.echo = echo
        document = fleet.hub_config(store_url=store_url, sink=scenario.sink)
        document = deep_merge(document, scenario.config)
        if scenario.actions_enabled:
            document = opt_in(document, fleet, scenario.actions_enabled)
        self.hub = Hub(HubConfig.model_validate(document), open_store(store_url))
        self.result = ScenarioResult(scenario.name)

    def step(self, step: Step) -> None:
        if step.kind not in ("advance", "expect"):
            fake_clock.advance(STEP_DURATION)  # real steps take time; windows must see each change
        handler = getattr(self, f"do_{step.kind}", None)
        if handler is None:
            self.sandbox_op(step)
        else:
            handler(step)

    def sandbox_op(self, step: Step) -> None:
        name, op, args = sandbox_call(step.kind, step.args)
        args = self._desk_ids(args)
        sandbox = self.fleet.sandboxes.get(name)
        if sandbox is None:
            raise HubError(f"no {name} sandbox is running ({self.fleet.failed.get(name, 'not registered')})")
        try:
            with sandbox.lock:
                result = sandbox.admin(op, args)
        except (ValueError, KeyError, TypeError) as exc:
            raise HubError(str(exc).strip("'\"")) from None
        except Exception as exc:  # a sandbox's own failure is this step's failure, in one line
            raise HubError(f"the {name} sandbox failed: {type(exc).__name__}: {exc}") from None
        self.echo(f"  {step.kind} {_brief(step.args)} -> {_brief(result)}")

    def _desk_ids(self, args: dict[str, Any]) -> dict[str, Any]:
        """A desk step names its ticket by the hub's idempotency key (`external_id: E10006:e1:leaver:
        2026-02-02`), which a scenario can know; the sink's own ID is looked up here."""
        key = args.get("external_id")
        if not isinstance(key, str) or ":" not in key:
            return args
        with self.hub.store.engine.connect() as conn:
            external_id = conn.scalar(sa.select(tickets.c.external_id).where(tickets.c.key == key))
        if external_id is None:
            raise HubError(f"no delivered hub ticket with key {key!r}")
        return {**args, "external_id": external_id}

    def do_sync(self, step: Step) -> None:
        only = step.args.get("only")
        if step.args.get("crash_during_delivery"):
            self._sync_with_crash(only)
            return
        if step.args.get("crash_during_actions"):
            self._sync_with_action_crash(only)
            return
        outcome = run_all(self.hub, only=only)
        self.echo(f"  sync: {_sync_line(outcome)}")

    def _sync_with_crash(self, only: list[str] | None) -> None:
        def crash(key: str) -> None:
            raise SimulatedCrash(key)

        try:
            run_all(self.hub, only=only, after_remote=crash)
            self.echo("  sync (crash during delivery): nothing was delivered, so nothing crashed")
        except SimulatedCrash as crashed:
            self.echo(f"  sync: crashed after the sink created {crashed.args[0]}, before it was recorded")

    def _sync_with_action_crash(self, only: list[str] | None) -> None:
        """Crash after the first action's request reached the system, before the hub recorded it."""

        def crash(key: str) -> None:
            if key.startswith("action:"):
                raise SimulatedCrash(key)

        try:
            run_all(self.hub, only=only, after_remote=crash)
            self.echo("  sync (crash during actions): no action ran, so nothing crashed")
        except SimulatedCrash as crashed:
            self.echo(f"  sync: crashed after {crashed.args[0]} reached the system, before it was recorded")

    def do_advance(self, step: Step) -> None:
        if "to" in step.args:
            target = step.args["to"]
            day = target if isinstance(target, date) else date.fromisoformat(str(target))
            fake_clock.set_now(datetime(day.year, day.month, day.day, START_HOUR_UTC, tzinfo=UTC))
        else:
            fake_clock.advance(parse_duration(step.args["value"], f"{self.scenario.path} {step.where}"))
        self.echo(f"  advance: now {clock.now().isoformat(timespec='minutes')}")

    def do_approve(self, step: Step) -> None:
        if "actions" in step.args:
            wanted = step.args["actions"]
            kind = None if wanted in (True, "all") else str(wanted)
            approved = approve_actions(self.hub.store, kind, "scenario")
            if not approved:
                self.result.failures.append(f"{step.where}: approve: no action awaits approval")
                return
            outcome = run_lifecycle(self.hub)
            self.echo(f"  approve: {len(approved)} action(s) approved; {_lifecycle_line(outcome)}")
            return
        holds = open_holds(self.hub.store)
        wanted = step.args.get("hold")
        targets = [h for h in holds if not wanted or h["id"] == wanted]
        if not targets:
            self.result.failures.append(f"{step.where}: approve: nothing is held")
            return
        for hold in targets:
            approve(self.hub.store, self.hub.config, hold["id"], by="scenario")
        outcome = run_lifecycle(self.hub)
        self.echo(f"  approve: {len(targets)} hold(s) approved; {_lifecycle_line(outcome)}")

    def do_reject(self, step: Step) -> None:
        wanted = step.args.get("actions")
        kind = None if wanted in (None, True, "all") else str(wanted)
        rejected = reject_actions(self.hub.store, kind, "scenario", str(step.args.get("note") or ""))
        if not rejected:
            self.result.failures.append(f"{step.where}: reject: no action awaits approval")
            return
        self.echo(f"  reject: {len(rejected)} action(s) rejected")

    def do_expect(self, step: Step) -> None:
        failures = check(self.hub.store, step.args)
        if "sandbox" in step.args:
            failures += check_sandbox(self.fleet, step.args["sandbox"] or [])
        for failure in failures:
            self.result.failures.append(f"{step.where}: {failure}")
            self.echo(f"  [red]expect failed[/] {step.where}: {failure}")
        if not failures:
            self.echo(f"  expect: ok ({', '.join(step.args)})")


def _brief(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _lifecycle_line(outcome: dict[str, Any]) -> str:
    life, delivery = outcome.get("lifecycle", {}), outcome.get("delivery", {})
    return f"lifecycle {_brief(life)}; delivered {delivery.get('delivered', 0)}"


def _sync_line(outcome: dict[str, Any]) -> str:
    read = sum(
        run.get("read", 0) for runs in outcome["syncs"].values() if isinstance(runs, list) for run in runs
    )
    errors = [f"{name}: {runs['error']}" for name, runs in outcome["syncs"].items() if isinstance(runs, dict)]
    line = f"{read} records read; {_lifecycle_line(outcome)}"
    return line + (f"; errors: {'; '.join(errors)}" if errors else "")


def run_scenario(scenario: Scenario, *, store_url: str | None = None, echo: Echo = print) -> ScenarioResult:
    """Run one scenario; the clock is restored and every sandbox stopped afterwards."""
    echo(f"[bold]{scenario.name}[/] ({scenario.path})")
    fake_clock.set_now(
        datetime(scenario.start.year, scenario.start.month, scenario.start.day, START_HOUR_UTC, tzinfo=UTC)
    )
    try:
        with tempfile.TemporaryDirectory(prefix="hub-scenario-") as tmp:
            url = store_url or f"sqlite:///{Path(tmp) / 'hub.db'}"
            fleet = SandboxFleet(
                Path(tmp) / "sandbox", seed=scenario.seed, scale=scenario.scale, only=scenario.sandboxes
            )
            with fleet:
                run = _Run(scenario, fleet, url, echo)
                for step in scenario.steps:
                    try:
                        run.step(step)
                    except HubError as exc:
                        where = f"{scenario.path}:{step.line}"
                        run.result.failures.append(f"{where}: {step.kind} failed: {exc}")
                        echo(f"  [red]{step.kind} failed[/] {where}: {exc}")
                        break
                    run.result.steps += 1
    finally:
        fake_clock.set_now(None)
    result = run.result
    result.passed = not result.failures
    echo(f"  {'[green]passed[/]' if result.passed else '[red]FAILED[/]'}")
    return result


def run_scenario_file(path: Path, *, store_url: str | None = None, echo: Echo = print) -> ScenarioResult:
    return run_scenario(load_scenario(path), store_url=store_url, echo=echo)
