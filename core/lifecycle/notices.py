"""Transfer notices: whether a future-dated transfer is given notice of now, and the intent that
opens it (the policy's `transfer_notice: advance`). Pure: no I/O."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.lifecycle.facts import Facts
from core.lifecycle.intents import Intent, Policy


def notice_date(facts: Facts, today: date, policy: Policy) -> date | None:
    """A future transfer the policy gives notice of (none after the person's termination)."""
    pending = facts.pending_transfer
    if policy.transfer_notice != "advance" or pending is None or pending <= today:
        return None
    start = facts.employment_start or facts.hire
    if start is not None and pending < start:
        return None  # a job change of an earlier employment (superseded by its end), not of this one
    if facts.termination is not None and pending > facts.termination:
        return None
    return pending


def employed(person: dict[str, Any]) -> bool:
    """Whether a transfer can be given notice of: the person works now (a converted contractor
    whose employee record starts later shows `pre_hire`, yet still works under the contract)."""
    status = person.get("status")
    return status in ("active", "on_leave") or (
        status == "pre_hire" and bool(person.get("previous_employee_id"))
    )


def notice_intent(day: date, generation: int) -> Intent:
    return Intent(
        "open",
        "mover",
        day,
        reason=f"transfer entered in advance, effective {day}",
        employment=generation,
        notice=True,
    )


def ended_notice(facts: Facts, today: date, policy: Policy, hire: date | None, end: date) -> date | None:
    """The notice an ended employment (`hire` to `end`) owes for a transfer entered in advance:
    one due inside it, still ahead (one due after its end is superseded by it)."""
    pending = facts.pending_transfer
    if policy.transfer_notice != "advance" or pending is None or pending <= today or pending > end:
        return None
    return None if hire is not None and pending < hire else pending
