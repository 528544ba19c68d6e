"""The world a chaos trial runs in: the Workday and ServiceNow sandboxes, a store under test (the
"chaos" store, fed by `hub run` processes that get killed) and a clean store fed by the same
changes without any failure, plus the two oracles: the canonical digest and the sink's count.

Test support only: it imports the sandboxes, which production code never does.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from connectors.servicenow.sandbox.tables import CHILDREN
from core import clock
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.pipeline import run_all
from core.sandbox.fleet import SandboxFleet
from core.sandbox.org import roster
from core.store.engine import open_store
from core.store.schema import lifecycle_events, outbox, persons, stage_locks, sync_runs, tickets

SOURCE = "workday"
SINK = "servicenow"
HUB = str(Path(sys.executable).with_name("hub"))
POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# -- stores ------------------------------------------------------------------------------------
def new_store_url(kind: str, workdir: Path, name: str) -> str:
    """A fresh, empty store of `kind` (sqlite or postgresql) for one trial."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / (name + '.db')}"
    base = sa.engine.make_url(POSTGRES_URL)
    database = f"hub_chaos_{os.getpid()}_{name}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return base.set(database=database).render_as_string(hide_password=False)


def drop_store(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(sa.engine.make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


# -- the oracles -------------------------------------------------------------------------------
def canonical_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the store concluded, free of ids, timestamps and which sink was used: people,
    lifecycle events and tickets."""
    store = open_store(url)
    with store.engine.connect() as conn:
        people = sorted(
            (r.employee_id or "", json.dumps(r.attrs, sort_keys=True, default=str), r.deleted_at is None)
            for r in conn.execute(sa.select(persons))
        )
        events = sorted(
            (r.employee_id or "", r.event_type, r.identity, str(r.effective_date), r.state)
            for r in conn.execute(sa.select(lifecycle_events))
        )
        opened = sorted(
            (r.key, r.type, r.employee_id or "", r.priority, str(r.due_date), r.title, r.state)
            for r in conn.execute(sa.select(tickets))
        )
    store.dispose()
    return {"persons": people, "events": events, "tickets": opened}


def digest(rows: dict[str, list[tuple[Any, ...]]]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def differences(
    chaos: dict[str, list[tuple[Any, ...]]], clean: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """The rows one store has and the other lacks, per section (for the report of a mismatch)."""
    found = []
    for section in clean:
        ours, theirs = set(chaos[section]), set(clean[section])
        found += [f"{section}: only after chaos {row}" for row in sorted(ours - theirs, key=str)[:5]]
        found += [f"{section}: only in the clean run {row}" for row in sorted(theirs - ours, key=str)[:5]]
    return found


def ticket_keys(url: str) -> set[str]:
    store = open_store(url)
    with store.engine.connect() as conn:
        keys = set(conn.scalars(sa.select(tickets.c.key)))
    store.dispose()
    return keys


def sink_counts(fleet: SandboxFleet) -> Counter[str]:
    """Tickets at the ServiceNow sandbox by correlation ID (the hub's idempotency key), counted in
    the sandbox's own tables: cancelled or not, every record the sink holds."""
    sandbox: Any = fleet.sandboxes[SINK]
    counts: Counter[str] = Counter()
    with sandbox.lock:
        for table in CHILDREN:
            for record in sandbox.store.tables[table].values():
                if record.get("correlation_id"):
                    counts[str(record["correlation_id"])] += 1
    return counts


@dataclass
class SinkCheck:
    duplicates: int = 0
    missing: int = 0
    details: list[str] = field(default_factory=list)


def check_sink(expected: set[str], counts: Counter[str]) -> SinkCheck:
    """Per idempotency key: exactly one ticket at the sink (an unexpected key is a duplicate)."""
    check = SinkCheck()
    for key in sorted(expected | set(counts)):
        found = counts.get(key, 0)
        wanted = 1 if key in expected else 0
        if found > wanted:
            check.duplicates += found - wanted
            check.details.append(f"{key}: {found} tickets at the sink")
        elif found < wanted:
            check.missing += 1
            check.details.append(f"{key}: no ticket at the sink")
    return check


# -- HR changes --------------------------------------------------------------------------------
@dataclass
class Workforce:
    """What the trial's change stream may act on next (kept as the stream goes)."""

    active: list[str]
    hired: list[str] = field(default_factory=list)
    terminated: list[str] = field(default_factory=list)


def workforce(seed: int, scale: int) -> Workforce:
    return Workforce([p.employee_id for p in roster(seed, scale) if p.status == "active"])


def hr_changes(rng: random.Random, people: Workforce, count: int) -> list[tuple[str, dict[str, Any]]]:
    """A wave of Workday business processes: hires, terminations, start dates moved, hires
    rescinded and terminations reversed (no transfers: a mover's key names a change-log id, which
    differs between stores by design)."""
    today = clock.today()
    changes: list[tuple[str, dict[str, Any]]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45 or not people.active:
            n = rng.randrange(10**6)
            start = today + timedelta(days=rng.randint(3, 30))
            args = {"given_name": f"Chaos{n}", "family_name": "Trial", "hire_date": start.isoformat()}
            changes.append(("hire", args))
        elif roll < 0.75:
            who = people.active.pop(rng.randrange(len(people.active)))
            day = today + timedelta(days=rng.randint(0, 20))
            changes.append(("terminate", {"employee_id": who, "termination_date": day.isoformat()}))
            people.terminated.append(who)
        elif roll < 0.85 and people.hired:
            who = rng.choice(people.hired)
            start = today + timedelta(days=rng.randint(31, 45))
            changes.append(("correct", {"employee_id": who, "hire_date": start.isoformat()}))
        elif roll < 0.93 and people.hired:
            changes.append(
                ("rescind_hire", {"employee_id": people.hired.pop(rng.randrange(len(people.hired)))})
            )
        elif people.terminated:
            who = people.terminated.pop(rng.randrange(len(people.terminated)))
            changes.append(("reverse_termination", {"employee_id": who}))
    return changes


def apply_changes(fleet: SandboxFleet, people: Workforce, changes: list[tuple[str, dict[str, Any]]]) -> None:
    sandbox = fleet.sandboxes[SOURCE]
    for op, args in changes:
        with sandbox.lock:
            result = sandbox.admin(op, args)
        if op == "hire":
            people.hired.append(str(result))


# -- runners -----------------------------------------------------------------------------------
@dataclass
class Runner:
    """One `hub run` process against the chaos store."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait()

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9


def start_runner(config: Path, log: Path) -> Runner:
    env = {**os.environ, "COLUMNS": "120"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [HUB, "run", "--config", str(config), "--only", SOURCE, "--json"],
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=env,
        )
    return Runner(process, log)


def stage_of(engine: sa.Engine, pid: int) -> str | None:
    """The stage process `pid` is in now, as the store shows it: a stage lock it holds, else a
    sync run it is running."""
    with engine.connect() as conn:
        held = conn.scalar(sa.select(stage_locks.c.stage).where(stage_locks.c.pid == pid))
        if held:
            return "sync" if held.startswith("sync ") else str(held)
        syncing = conn.scalar(
            sa.select(sync_runs.c.stream)
            .where(sync_runs.c.pid == pid, sync_runs.c.status == "running")
            .limit(1)
        )
    return "sync" if syncing else None


# -- the world ---------------------------------------------------------------------------------
class World:
    """Sandboxes and the two stores of one trial; a context manager that tears everything down."""

    def __init__(
        self, workdir: Path, kind: str, seed: int, scale: int, *, chaos_url: str | None = None
    ) -> None:
        self.workdir = workdir
        self.seed = seed
        self.scale = scale
        self.fleet = SandboxFleet(workdir / "sandbox", seed=seed, scale=scale, only=[SOURCE, SINK])
        self.own_store = chaos_url is None
        self.chaos_url = chaos_url or new_store_url(kind, workdir, "chaos")
        self.clean_url = new_store_url("sqlite", workdir, "clean")
        self.chaos_yaml = workdir / "chaos.yaml"
        self.clean: Hub | None = None
        #: tickets the clean run had opened at the last check
        self.keys_checked = 0

    def __enter__(self) -> World:
        self.fleet.start()
        if self.fleet.failed:
            raise RuntimeError(f"sandboxes failed to start: {self.fleet.failed}")
        document = self.fleet.hub_config(store_url=self.chaos_url, sink=SINK)
        # a runner waits for a stage another holds; a storm guard would hold the change waves
        document["store"]["lock_wait_seconds"] = 120
        document["lifecycle"] = {"storm_guard": {"max_count": 1000}}
        self.chaos_yaml.write_text(yaml.safe_dump(document))
        clean = self.fleet.hub_config(store_url=self.clean_url, sink="builtin")
        clean["lifecycle"] = document["lifecycle"]
        self.clean = Hub(HubConfig.model_validate(clean), open_store(self.clean_url))
        self.chaos_engine = open_store(self.chaos_url).engine
        self.sink_before = sink_counts(self.fleet)  # the desk's own records, not the hub's
        return self

    def hub_tickets_at_sink(self) -> Counter[str]:
        return sink_counts(self.fleet) - self.sink_before

    def __exit__(self, *exc: object) -> None:
        if self.clean is not None:
            self.clean.close()
        self.chaos_engine.dispose()
        self.fleet.stop()
        if self.own_store:
            drop_store(self.chaos_url)

    def load_in_process(self) -> None:
        """Both stores' first sync (no kill: the trials start from a loaded store)."""
        document = yaml.safe_load(self.chaos_yaml.read_text())
        chaos = Hub(HubConfig.model_validate(document), open_store(self.chaos_url))
        try:
            outcome = run_all(chaos, only=[SOURCE])
        finally:
            chaos.close()
        if outcome["failed"]:
            raise RuntimeError(f"the initial load failed: {outcome['failed']}")
        self.run_clean()

    def run_clean(self) -> None:
        assert self.clean is not None
        outcome = run_all(self.clean, only=[SOURCE])
        if outcome["failed"]:
            raise RuntimeError(f"the clean run failed: {outcome['failed']}")

    def pending_intents(self) -> int:
        with self.chaos_engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).where(outbox.c.state == "pending")) or 0)

    def seconds_until_next_attempt(self) -> float:
        """How long until the earliest pending intent is due again (an intent whose outcome was
        unknown waits out its backoff before the next pass looks it up)."""
        with self.chaos_engine.connect() as conn:
            due = conn.scalar(
                sa.select(sa.func.min(outbox.c.next_attempt_at)).where(outbox.c.state == "pending")
            )
        if due is None:
            return 0.0
        if due.tzinfo is None:  # SQLite hands the stored UTC moment back naive
            due = due.replace(tzinfo=UTC)
        return max(0.0, (due - clock.system_time()).total_seconds())

    def run_to_completion(self, attempts: int = 6) -> list[int]:
        """`hub run` until it exits 0 with nothing left in the outbox: a run that met a fault still
        armed may exit 4, or leave an intent pending for the next pass (by design), which is run
        once that intent's backoff has passed."""
        codes = []
        for _ in range(attempts):
            runner = start_runner(self.chaos_yaml, self.workdir / "rerun.log")
            codes.append(runner.wait(300))
            if codes[-1] == 0 and not self.pending_intents():
                return codes
            time.sleep(0.5 + min(self.seconds_until_next_attempt(), 120.0))
        tail = (self.workdir / "rerun.log").read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"`hub run` did not complete after a kill: exit codes {codes}: {' | '.join(tail)}")
