"""Benchmark cases and the per-module subprocess protocol (JSON lines on stdout)."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Case:
    name: str
    records: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: seconds the machine's floor for the same work took in the same run (0: no floor)
    floor: float = 0.0
    #: CPU seconds of the whole process (every thread, user + system) during the case: on a shared
    #: machine the wall time is mostly waiting for a core, the CPU time is the work itself
    cpu_seconds: float = 0.0
    #: CPU seconds of the floor
    floor_cpu: float = 0.0

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def over_floor(self) -> float | None:
        """How many times the floor's time this case took."""
        return self.seconds / self.floor if self.floor else None

    @property
    def over_floor_cpu(self) -> float | None:
        """How many times the floor's CPU time this case used (steadier than wall on a busy machine)."""
        return self.cpu_seconds / self.floor_cpu if self.floor_cpu and self.cpu_seconds else None


class Bench:
    """Collects cases; in a worker process each finished case is printed as one JSON line."""

    def __init__(self, emit: bool = True) -> None:
        self.cases: list[Case] = []
        self.emit = emit

    @contextmanager
    def case(self, name: str) -> Iterator[Case]:
        case = Case(name)
        cpu = time.process_time()
        started = time.perf_counter()
        yield case
        case.seconds = time.perf_counter() - started
        case.cpu_seconds = time.process_time() - cpu
        self._finish(case)

    def derived(
        self, name: str, seconds: float, records: int = 0, cpu_seconds: float = 0.0, **extra: Any
    ) -> Case:
        """A figure computed from measured cases (a sum, a difference), reported like one."""
        case = Case(name, records=records, seconds=seconds, extra=extra, cpu_seconds=cpu_seconds)
        self._finish(case)
        return case

    def _finish(self, case: Case) -> None:
        case.peak_rss_mb = peak_rss_mb()
        self.cases.append(case)
        if self.emit:
            sys.stdout.write("BENCH " + json.dumps(asdict(case)) + "\n")
            sys.stdout.flush()
