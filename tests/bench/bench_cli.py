"""`hub --help` start-up: wall and CPU seconds of the console script, beside the floor of a bare
`python -c pass` measured in the same run (on a busy machine the wall time is mostly waiting for
a core; the CPU time is the hub's own). Median of 5 runs each."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from core.bench import Bench

BIN = Path(sys.executable).parent
RUNS = 5


def _timed(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median_case(bench: Bench, name: str, argv: list[str]) -> None:
    runs = [_timed(argv) for _ in range(RUNS)]
    with bench.case(name) as case:
        case.records = RUNS
        case.extra["median_wall_s"] = round(statistics.median(w for w, _ in runs), 3)
        case.extra["median_cpu_s"] = round(statistics.median(c for _, c in runs), 3)


def run(bench: Bench) -> None:
    _median_case(bench, "floor: python -c pass (interpreter start-up)", [sys.executable, "-c", "pass"])
    _median_case(
        bench, "hub --help (console script, every command group listed)", [str(BIN / "hub"), "--help"]
    )
