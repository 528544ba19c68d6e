"""What HR states about a person's employment now, read from the canonical person.

Detection compares these effective-dated facts with what the engine last acted on (the person's
employment, `core.lifecycle.employments`), not two consecutive syncs: a termination that took
effect and a rehire keyed before the next sync still read as "employment n ended on T, employment
n+1 starts on H". Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core.lifecycle.dates import parse_date


@dataclass(frozen=True)
class Facts:
    #: start of the employment HR shows now (a pending rehire's date once it is entered)
    hire: date | None
    #: when access ends in the current employment (last day of work, else termination date)
    termination: date | None
    #: the end of an earlier employment HR still shows (a termination before the current hire)
    prior_termination: date | None
    #: the start of that earlier employment (a start moved just before a rehire shows only here)
    prior_hire: date | None
    #: every earlier employment HR states, oldest first: (hire, end); the last is the one above
    earlier: tuple[tuple[date | None, date], ...]
    #: the start of the current employment across a worker-type conversion (the contract's start)
    employment_start: date | None
    #: a future-dated job change (transfer) HR has entered
    pending_transfer: date | None
    #: the latest job change (transfer) in effect
    job_change: date | None
    #: the latest hire never happened
    rescinded: bool
    status: str | None


def facts_of(attrs: dict[str, Any]) -> Facts:
    """The facts of a canonical person (a termination dated before the hire ended an earlier employment)."""
    hire = parse_date(attrs.get("hire_date"))
    ended = None
    if attrs.get("termination_date") and not attrs.get("termination_reversed"):
        ended = parse_date(attrs.get("last_day_of_work") or attrs.get("termination_date"))
    prior = parse_date(attrs.get("previous_termination_date"))
    if ended is not None and hire is not None and ended < hire:
        prior, ended = max(ended, prior) if prior else ended, None
    prior = prior if prior is not None and (hire is None or prior < hire) else None
    prior_hire = parse_date(attrs.get("previous_hire_date"))
    return Facts(
        hire=hire,
        termination=ended,
        prior_termination=prior,
        prior_hire=prior_hire,
        earlier=_earlier(attrs.get("previous_employments"), hire, (prior_hire, prior)),
        employment_start=parse_date(attrs.get("employment_start_date")),
        pending_transfer=parse_date(attrs.get("pending_transfer_date")),
        job_change=parse_date(attrs.get("last_job_change_date")),
        rescinded=bool(attrs.get("hire_rescinded")),
        status=attrs.get("status"),
    )


def _earlier(
    stated: Any, hire: date | None, prior: tuple[date | None, date | None]
) -> tuple[tuple[date | None, date], ...]:
    """The earlier employments (hire date -> end date) that ended before the current hire, with
    the previous one's end always among them (a source that states only that one)."""
    found: dict[date, date | None] = {}
    for started, stopped in stated.items() if isinstance(stated, dict) else ():
        end = parse_date(stopped)
        if end is not None and (hire is None or end < hire):
            found[end] = parse_date(started)
    if prior[1] is not None and prior[1] not in found:
        found[prior[1]] = prior[0]
    return tuple((found[end], end) for end in sorted(found))
