"""A pinned, movable clock for sandbox runs: scenarios and tests set "today" for the hub and
every sandbox tenant of their process at once. Installed through `core.clock.install`, which
production never calls, so only code that imports the sandbox packages can fake time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from core import clock


class FakeClock:
    """A moment that stays put until set or advanced (thread-safe: sandboxes serve on threads)."""

    def __init__(self, moment: datetime) -> None:
        self._lock = threading.Lock()
        self._moment = moment

    def __call__(self) -> datetime:
        with self._lock:
            return self._moment

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._moment = moment

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._moment += delta
            return self._moment


_active: FakeClock | None = None


def set_now(moment: datetime | date | None) -> None:
    """Pin the clock (a date means its midnight UTC; a naive time is UTC); None returns to the
    system clock."""
    global _active
    if moment is None:
        _active = None
        clock.install(None)
        return
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if _active is None:
        _active = FakeClock(moment)
    else:
        _active.set(moment)
    clock.install(_active)


def advance(delta: timedelta) -> datetime:
    """Move the pinned clock forward (pins it at the current moment first)."""
    if _active is None:
        set_now(clock.now())
    assert _active is not None
    return _active.advance(delta)
