"""Is a stream's data as fresh as its schedule promises?

A run scheduled at tick T has `max_run_minutes` to finish; once that grace has passed, data older
than T is late. Unscheduled instances (`schedule: null`, `@once`) have no promise to break."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter

UNSCHEDULED = {None, "", "@once", "@continuous", "None"}


@dataclass(frozen=True)
class Freshness:
    state: str  # fresh | late | never | manual | unknown
    expected_since: datetime | None = None
    late_by: timedelta | None = None

    @property
    def label(self) -> str:
        if self.state == "late" and self.late_by is not None:
            minutes = int(self.late_by.total_seconds() // 60)
            return (
                f"late by {minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"late by {minutes} min"
            )
        return {
            "fresh": "fresh",
            "never": "never ran",
            "manual": "on demand",
            "unknown": "schedule unreadable",
        }[self.state]


def freshness(schedule: str | None, last_ok: datetime | None, now: datetime, grace: timedelta) -> Freshness:
    """Compare the last successful finish with the latest tick whose grace has run out."""
    if schedule in UNSCHEDULED:
        return Freshness("manual")
    try:
        ticks = croniter(schedule, now - grace)
        expected = ticks.get_prev(datetime)
    except (ValueError, KeyError):
        return Freshness("unknown")
    if last_ok is None:
        return Freshness("never", expected_since=expected)
    if last_ok >= expected:
        return Freshness("fresh", expected_since=expected)
    return Freshness("late", expected_since=expected, late_by=now - (expected + grace))
