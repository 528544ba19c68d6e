"""Effective moments in the right time zone, and the deadlines auditors ask for.

A date from HR means a local day where the person works: a termination effective on the 20th
in Honolulu takes effect at 00:00 on the 20th Honolulu time, not UTC. When a last day of work is
given, access ends at the close of that day (`last_day_end_hour`, default 17:00 local).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.lifecycle.config import LifecycleConfig, zone

#: hours from the effective moment to the deadline, per event type and preset
#: (NIST 800-53 PS-4/PS-5 as set by the FedRAMP baselines; CJIS 5.12.2 "immediately")
PRESET_HOURS: dict[str, dict[str, float]] = {
    "none": {"leaver": 0, "mover": 24, "conversion": 24},
    "fedramp_low": {"leaver": 4, "mover": 24, "conversion": 24},
    "fedramp_moderate": {"leaver": 4, "mover": 24, "conversion": 24},
    "fedramp_high": {"leaver": 1, "mover": 24, "conversion": 24},
    "cjis": {"leaver": 0, "mover": 24, "conversion": 24},
}


def person_zone(attrs: dict[str, Any], config: LifecycleConfig) -> ZoneInfo:
    """The person's own zone, else their location's, else the deployment's."""
    name = attrs.get("time_zone") or config.location_timezones.get(str(attrs.get("location") or ""))
    return zone(name or config.timezone or "UTC")


def parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def local_moment(day: date, tz: ZoneInfo, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour=hour), tzinfo=tz)


def leaver_effective(attrs: dict[str, Any], tz: ZoneInfo, config: LifecycleConfig) -> datetime | None:
    last_day = parse_date(attrs.get("last_day_of_work"))
    if last_day is not None:
        return local_moment(last_day, tz, config.last_day_end_hour)
    termination = parse_date(attrs.get("termination_date"))
    return local_moment(termination, tz) if termination else None


def due_moment(event_type: str, effective: datetime, config: LifecycleConfig) -> datetime:
    hours = PRESET_HOURS[config.deadline_preset].get(event_type, 0)
    return effective + timedelta(hours=hours)
