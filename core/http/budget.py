"""Per-host request budget and a process-wide throttle gate.

When one request to a host is told to wait (429 + Retry-After), every client of that host in the
process waits too: Graph, ARM and Workday throttle per tenant/app, not per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class HostGate:
    """Rate budget (requests per second, token bucket) plus a shared 'not before' moment."""

    rate_per_second: float | None = None
    burst: int = 10
    _tokens: float = field(default=0.0, init=False)
    _updated: float = field(default_factory=time.monotonic, init=False)
    _not_before: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    def hold_until(self, seconds_from_now: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds_from_now)

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Block until a request may be sent; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                wait = max(0.0, self._not_before - now)
                if wait == 0.0 and self.rate_per_second:
                    self._tokens = min(
                        float(self.burst), self._tokens + (now - self._updated) * self.rate_per_second
                    )
                    self._updated = now
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        return waited
                    wait = (1.0 - self._tokens) / self.rate_per_second
                elif wait == 0.0:
                    return waited
            sleep(wait)
            waited += wait


_gates: dict[str, HostGate] = {}
_gates_lock = threading.Lock()


def gate_for(host: str, rate_per_second: float | None = None) -> HostGate:
    """The shared gate of a host (created on first use with the given budget)."""
    with _gates_lock:
        gate = _gates.get(host)
        if gate is None:
            gate = _gates[host] = HostGate(rate_per_second=rate_per_second)
        elif rate_per_second and not gate.rate_per_second:
            gate.rate_per_second = rate_per_second
        return gate
