"""One convention for every time the CLI prints: the deployment's zone (hub.yaml `timezone`), with
its offset, so `05:17:52-06:00` reads the same in a terminal, a cron mail and a ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def deployment_time(value: datetime | date | str | None, zone: str) -> str:
    """`2026-03-01 09:00:00-06:00`; a date stays a date; None is `-`. A naive datetime is UTC
    (how the store keeps them)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        if len(value) == 10:  # a date: no time, no zone
            return value
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone)).isoformat(sep=" ", timespec="seconds")
