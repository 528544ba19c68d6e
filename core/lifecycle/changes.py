"""Events only a change shows: a job change that took effect (mover), leave start and return,
a worker-type conversion. Read from the change log (`before` -> `after`); pure, no I/O."""

from __future__ import annotations

from datetime import date

from core.lifecycle.dates import parse_date
from core.lifecycle.intents import Intent, PersonChange

MOVE_FIELDS = ("org_unit", "title", "manager_employee_id", "location")


def is_conversion(change: PersonChange) -> bool:
    """A worker-type change, or a new employee ID that names the previous one (same person).
    The ID the person was converted from showing again is none: HR converts to a new ID, never
    back, and the contract's record shows again when its end takes effect (it is then the newest
    of the person's records)."""
    a, b, f = change.after, change.before, change.changed
    if b.get("previous_employee_id") and a.get("employee_id") == b.get("previous_employee_id"):
        return False
    return bool(
        ("worker_type" in f and b.get("worker_type") and a.get("worker_type") != b.get("worker_type"))
        or (
            "employee_id" in f
            and b.get("employee_id")
            and a.get("previous_employee_id") == b.get("employee_id")
        )
    )


def change_intents(
    change: PersonChange, today: date, generation: int, *, movers: bool, job_changed: bool = False
) -> list[Intent]:
    """Leave, conversion and (unless `movers` is off: a rehire or a transfer already given
    notice of explains the job change) mover intents for the employment `generation`. A
    conversion's new job is no mover, unless HR states a job change that took effect since the
    last evaluation (`job_changed`): that transfer happened in the contract, before it."""
    a, b, f = change.after, change.before, change.changed
    intents: list[Intent] = []
    if b.get("status") != "on_leave" and a.get("status") == "on_leave":
        reason = f"leave of absence until {a.get('leave_return_date')}"
        intents.append(Intent("record", "leave_start", today, reason=reason, employment=generation))
    elif b.get("status") == "on_leave" and a.get("status") == "active":
        intents.append(
            Intent("record", "leave_return", today, reason="returned from leave", employment=generation)
        )
    converted = is_conversion(change)
    if converted:
        reason = f"{b.get('worker_type')} -> {a.get('worker_type')}, ID {b.get('employee_id')} -> {a.get('employee_id')}"
        start = parse_date(a.get("hire_date"))
        if start is not None and start > today:  # converted in advance: prepared for the day, like a transfer
            intents.append(
                Intent("open", "conversion", start, reason=reason, employment=generation, notice=True)
            )
        else:
            intents.append(Intent("open", "conversion", today, reason=reason, employment=generation))
    moved = {name for name in MOVE_FIELDS if name in f and b.get(name) is not None}
    if (
        movers
        and moved
        and a.get("status") in ("active", "on_leave", "pre_hire")
        and (not converted or job_changed)
    ):
        desc = ", ".join(f"{n} {b.get(n)} -> {a.get(n)}" for n in sorted(moved))
        intents.append(Intent("open", "mover", today, reason=desc, changed=moved, employment=generation))
    return intents
