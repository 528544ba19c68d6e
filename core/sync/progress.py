"""Progress of a long read in the log: Airflow shows a task's log live, so an operator watching a
100,000-worker sync (or one waiting out a tenant's throttling) sees it move."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("hub.sync")
#: seconds between two progress lines of one read
INTERVAL = 30.0


class LoggedProgress:
    """A `progress` callback for `sync_stream` that logs the running count every `interval` seconds."""

    def __init__(self, label: str, interval: float | None = None) -> None:
        self.label, self.interval = label, INTERVAL if interval is None else interval
        self.started = self.last = time.monotonic()

    def __call__(self, read: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        rate = read / max(now - self.started, 1e-9)
        log.info("%s: %s records read so far (%s/s)", self.label, f"{read:,}", f"{rate:,.0f}")
