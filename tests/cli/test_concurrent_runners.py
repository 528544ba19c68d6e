"""Two `hub run` processes at once on one store and one sink (a shell run beside the scheduled
one): the stage locks make them take turns, and the sink ends with one ticket per key. A runner
that cannot get a stage in time exits 7 with one line naming the holder."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.sandbox.faults import Fault
from core.store.engine import open_store
from core.store.locks import stage_lock
from tests.chaos.world import (
    World,
    apply_changes,
    canonical_rows,
    check_sink,
    differences,
    start_runner,
    ticket_keys,
    workforce,
)

HIRES = [
    ("hire", {"given_name": f"Twin{n}", "family_name": "Runner", "hire_date": f"2099-01-{n + 10:02d}"})
    for n in range(6)
]


@dataclass
class SlowToApply(Fault):
    """A sink that takes a while before it applies a create: the window in which a second
    deliverer, finding nothing yet, would create the same ticket again."""

    kind = "slow_to_apply"
    seconds: float = 0.7

    def before(self, request: Any) -> None:
        time.sleep(self.seconds)


def test_two_hub_runs_started_together_end_with_one_ticket_per_key(store_url: str, tmp_path: Path) -> None:
    with World(tmp_path, "sqlite", seed=11, scale=20, chaos_url=store_url) as world:
        people = workforce(11, 20)
        world.run_to_completion()
        world.run_clean()
        apply_changes(world.fleet, people, [*HIRES, ("terminate", {"employee_id": people.active[0]})])
        world.fleet.sandboxes["servicenow"].arm(SlowToApply(path="^/api/now/table/", method="POST", times=50))
        runners = [start_runner(world.chaos_yaml, tmp_path / f"runner{i}.log") for i in range(2)]
        codes = [r.wait(300) for r in runners]
        logs = [r.log.read_text() for r in runners]
        assert codes == [0, 0], logs
        world.run_clean()
        keys = ticket_keys(world.chaos_url)
        assert len(keys) == len(HIRES) + 1, "six onboarding tickets and one offboarding"
        check = check_sink(keys, world.hub_tickets_at_sink())
        assert (check.duplicates, check.missing) == (0, 0), check.details
        chaos, clean = canonical_rows(world.chaos_url), canonical_rows(world.clean_url)
        assert differences(chaos, clean) == []


def test_a_runner_that_cannot_get_a_stage_exits_7_naming_the_holder(store_url: str, tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(yaml.safe_dump({"store": {"url": store_url, "lock_wait_seconds": 0.5}}))
    store = open_store(store_url)
    with stage_lock(store, "resolve", wait_seconds=0):
        done = subprocess.run(
            [str(Path(sys.executable).with_name("hub")), "resolve", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=120,
            env={"COLUMNS": "300", "PATH": str(Path(sys.executable).parent)},
        )
    store.dispose()
    assert done.returncode == 7, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    assert line.startswith("error (busy): stage resolve is busy: held by pid ")
    assert " since " in line and "stopped waiting for it after 0.5 s" in line
