"""The hub's clock. Production reads the system clock; scenarios and sandboxes move a shared
fake clock so "today" means the same thing to the hub and to every sandbox tenant."""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, timedelta

_lock = threading.Lock()
_fixed: datetime | None = None


def now() -> datetime:
    """Current moment (aware, UTC). `HUB_FAKE_NOW` (ISO) pins it for a whole process tree."""
    with _lock:
        if _fixed is not None:
            return _fixed
    env = os.environ.get("HUB_FAKE_NOW")
    if env:
        parsed = datetime.fromisoformat(env)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def today() -> date:
    return now().date()


def set_now(moment: datetime | date | None) -> None:
    """Pin the clock (a date means its midnight UTC); None returns to the system clock."""
    global _fixed
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    with _lock:
        _fixed = moment


def advance(delta: timedelta) -> datetime:
    """Move a pinned clock forward (pins it at the current moment first)."""
    moment = now() + delta
    set_now(moment)
    return moment
