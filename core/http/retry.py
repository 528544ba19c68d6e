"""Backoff policy: exponential with full jitter, capped, and `Retry-After` always wins; and which
requests may be re-sent at all (a POST or PATCH only when it provably never reached the server)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from core.errors import TransientError

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: methods whose repetition has the effect of sending them once (RFC 9110 section 9.2.2)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def is_idempotent(method: str) -> bool:
    """Whether a request with this method may be re-sent after an ambiguous failure."""
    return method.upper() in IDEMPOTENT_METHODS


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait. `max_retries=0` disables retrying."""

    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0
    #: Retry-After values above this are not waited out in-process; the run fails resumably
    max_retry_after: float = 300.0
    retry_statuses: frozenset[int] = RETRY_STATUSES

    def wait_before_retry(self, attempt: int, problem: str, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) before trying again;
        raises `TransientError` (resumable, carrying `retry_after`) when the attempts are used up
        or the server asks for a wait longer than `max_retry_after`. `problem` starts the message
        ("office365: 3 $batch item(s) throttled")."""
        if attempt > self.max_retries:
            raise TransientError(
                f"{problem}; gave up after {attempt} attempts",
                hint="the run can be retried safely; state was committed up to the last checkpoint",
                retry_after=retry_after,
            )
        if retry_after is not None and retry_after > self.max_retry_after:
            raise TransientError(
                f"{problem}; server asked to wait {retry_after:.0f}s",
                hint="quota exhausted; the run will resume from its last committed state",
                retry_after=retry_after,
            )
        return self.delay(attempt, retry_after)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header given as delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
