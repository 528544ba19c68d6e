"""The hub's clock: every "now" the engine reads comes from here.

Production reads the system clock, and no environment variable or setting moves it. Sandbox runs
(scenarios, tests) move time for the hub and every fake tenant together by installing a fake
clock from `core.sandbox.fake_clock`, in their own process only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

#: a source of the current moment (aware, UTC)
Source = Callable[[], datetime]


def system_time() -> datetime:
    return datetime.now(UTC)


_source: Source = system_time


def now() -> datetime:
    """Current moment (aware, UTC)."""
    return _source()


def today() -> date:
    return now().date()


def source() -> Source:
    """The installed source (tests that shift time wrap it and put it back)."""
    return _source


def install(source: Source | None) -> None:
    """Make `source` this process's clock; None returns to the system clock."""
    global _source
    _source = source or system_time


def iso(value: object) -> object:
    """A moment as ISO 8601 text for a JSON document; any other value as it is."""
    return value.isoformat() if isinstance(value, datetime) else value
