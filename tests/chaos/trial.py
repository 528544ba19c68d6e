"""One chaos trial: a stream of HR changes in waves; in each wave `hub run` is killed with SIGKILL
in a chosen stage, sometimes with sandbox faults armed, sometimes beside a second runner; then a
rerun completes it. At the end the chaos store must say what a clean run over the same changes
says, and the sink must hold exactly one ticket per idempotency key."""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.sandbox.faults import FAULT_KINDS, Fault, ServerError, Throttle, Truncate
from core.sandbox.fleet import SandboxFleet
from tests.chaos.world import (
    SINK,
    SOURCE,
    World,
    apply_changes,
    canonical_rows,
    check_sink,
    differences,
    digest,
    hr_changes,
    stage_of,
    start_runner,
    ticket_keys,
    workforce,
)

STAGES = ("sync", "resolve", "evaluate", "deliver")
SINK_PATH = r"^/api/now/(v[12]/)?table/"


@dataclass
class TrialResult:
    store: str
    trial: int
    kills: Counter[str] = field(default_factory=Counter)
    missed: int = 0
    two_runners: int = 0
    #: faults armed (per wave) and the times each kind fired
    armed: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    missing: int = 0
    digest_mismatch: bool = False
    #: idempotency keys checked at the sink after this trial (all so far in its world), and new ones
    tickets: int = 0
    new_tickets: int = 0
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def defects(self) -> int:
        return self.duplicates + self.missing + int(self.digest_mismatch)


#: label -> (sandbox, fault factory); a fault kind this checkout's sandboxes lack is skipped
FaultRecipe = tuple[str, Callable[[random.Random], Fault]]


def _recipes() -> dict[str, FaultRecipe]:
    recipes: dict[str, FaultRecipe] = {
        "sink 429 storm": (SINK, lambda r: Throttle(path=SINK_PATH, times=r.randint(2, 6), retry_after=1)),
        "sink 503 before apply": (
            SINK,
            lambda r: ServerError(path=SINK_PATH, status=503, times=r.randint(1, 3)),
        ),
        "source 5xx mid-page": (SOURCE, lambda r: ServerError(status=500, after=1, times=1)),
        "source dropped mid-page": (SOURCE, lambda r: Truncate(after=1, times=1)),
    }
    # faults that let the sink apply a create and then fail its answer (added with the
    # method-aware client: without it a create could be re-sent blindly)
    for kind, label in (
        ("applied_then_error", "sink 502 after apply"),
        ("applied_then_drop", "sink drop after apply"),
    ):
        cls = FAULT_KINDS.get(kind)
        if cls is not None:
            recipes[label] = (
                SINK,
                lambda r, cls=cls: cls(path=SINK_PATH, method="POST", times=r.randint(1, 2)),
            )
    return recipes


def arm_faults(rng: random.Random, fleet: SandboxFleet) -> list[tuple[str, Fault, int]]:
    """Half the waves: one or two random faults armed, as (label, fault, times armed)."""
    if rng.random() < 0.5:
        return []
    recipes = _recipes()
    armed = []
    for label in rng.sample(sorted(recipes), k=rng.randint(1, 2)):
        sandbox, make = recipes[label]
        fault = make(rng)
        fleet.sandboxes[sandbox].arm(fault)
        armed.append((label, fault, fault.times))
    return armed


def kill_in_stage(
    world: World, runner: Any, target: str, rng: random.Random, timeout: float = 240
) -> str | None:
    """SIGKILL `runner` a random moment (up to 0.3 s) after the store shows it in `target` (or a
    later stage, if it passed the target between two looks); returns the stage it was last seen
    in, None when it finished first."""
    later = STAGES[STAGES.index(target) :]
    deadline = time.monotonic() + timeout
    seen: str | None = None
    kill_at = 0.0
    while runner.alive() and time.monotonic() < deadline:
        stage = stage_of(world.chaos_engine, runner.pid)
        if stage in later:
            if seen is None:
                kill_at = time.monotonic() + rng.uniform(0, 0.3)
            seen = stage
        if seen is not None and time.monotonic() >= kill_at:
            runner.kill()
            return seen
        time.sleep(0.003)
    return None


def run_series(kind: str, series: int, seed: int, trials: int, *, scale: int = 30) -> list[TrialResult]:
    """`trials` trials in one world (sandboxes and stores), each a wave of HR changes on top of the
    last: the checks after each compare everything the stores concluded so far."""
    rng = random.Random(f"{seed}:{kind}:{series}")
    fleet_seed = rng.randrange(1, 10_000)
    results = []
    with (
        tempfile.TemporaryDirectory(prefix=f"hub-chaos-{kind}-") as tmp,
        World(Path(tmp), kind, fleet_seed, scale) as world,
    ):
        people = workforce(fleet_seed, scale)
        world.load_in_process()  # the initial load (existing staff, no tickets) into both stores
        for index in range(trials):
            results.append(_trial(world, rng, people, TrialResult(kind, series * trials + index), Path(tmp)))
    return results


def _trial(world: World, rng: random.Random, people: Any, result: TrialResult, tmp: Path) -> TrialResult:
    started = time.monotonic()
    apply_changes(world.fleet, people, hr_changes(rng, people, rng.randint(4, 10)))
    armed = arm_faults(rng, world.fleet)
    runners = [start_runner(world.chaos_yaml, tmp / f"trial{result.trial}.log")]
    if rng.random() < 0.4:
        runners.append(start_runner(world.chaos_yaml, tmp / f"trial{result.trial}-second.log"))
        result.two_runners += 1
    stage = kill_in_stage(world, rng.choice(runners), rng.choice(STAGES), rng)
    if stage is None:
        result.missed += 1
    else:
        result.kills[stage] += 1
    for runner in runners:
        runner.wait(300)
    world.run_to_completion()  # faults still armed fire here too, a bounded number of times
    for label, fault, times in armed:
        result.armed[label] += 1
        result.faults[label] += times - fault.times
    for sandbox in world.fleet.sandboxes.values():
        sandbox.faults.clear()
    world.run_clean()
    chaos, clean = canonical_rows(world.chaos_url), canonical_rows(world.clean_url)
    if digest(chaos) != digest(clean):
        result.digest_mismatch = True
        result.details += differences(chaos, clean)
    expected = ticket_keys(world.clean_url)
    result.tickets = len(expected)
    result.new_tickets = len(expected) - world.keys_checked
    world.keys_checked = len(expected)
    check = check_sink(expected, world.hub_tickets_at_sink())
    result.duplicates, result.missing = check.duplicates, check.missing
    result.details += check.details
    result.seconds = time.monotonic() - started
    return result
