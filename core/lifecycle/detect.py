"""Event detection: what a person's canonical changes mean, decided from the change log only.

Input: the person as it is now (`after`), the values before this batch of changes (`before`),
the set of changed fields and the person's planned events. Output: intents (open an event,
move its date, cancel it). Pure: no I/O, so every rule is tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from core.lifecycle.dates import parse_date

MOVE_FIELDS = ("org_unit", "title", "manager_employee_id", "location")
Action = Literal["open", "move", "cancel", "record"]


@dataclass(frozen=True)
class PlannedEvent:
    id: str
    event_type: str
    effective_date: date | None


@dataclass
class Intent:
    action: Action
    event_type: str
    effective_date: date | None = None
    event_id: str | None = None
    reason: str = ""
    changed: set[str] = field(default_factory=set)
    suppressed: bool = False


@dataclass
class PersonChange:
    before: dict[str, Any]
    after: dict[str, Any]
    changed: set[str]
    is_new: bool
    deleted: bool
    planned: list[PlannedEvent]

    def planned_of(self, *types: str) -> PlannedEvent | None:
        found = [e for e in self.planned if e.event_type in types]
        return found[-1] if found else None


def detect(change: PersonChange, today: date, existing_staff_days: int) -> list[Intent]:
    a, b, f = change.after, change.before, change.changed
    start = parse_date(a.get("hire_date"))
    if change.deleted or ("hire_rescinded" in f and a.get("hire_rescinded")):
        return _cancel(
            change, ("joiner", "rehire"), "hire rescinded" if a.get("hire_rescinded") else "person removed"
        )
    if change.is_new:
        return _first_seen(a, start, today, existing_staff_days)
    intents: list[Intent] = []
    was_terminated, is_back = b.get("status") == "terminated", a.get("status") in ("active", "pre_hire")
    rehired = was_terminated and is_back and "hire_date" in f
    reversed_ = (
        ("termination_date" in f and not a.get("termination_date") and b.get("termination_date"))
        or ("termination_reversed" in f and a.get("termination_reversed"))
        or (was_terminated and is_back and not rehired)
    )
    if rehired:
        intents.append(Intent("open", "rehire", start, reason=f"terminated person rehired on {start}"))
    elif reversed_:
        intents += _cancel(change, ("leaver",), "termination reversed")
    elif (
        "hire_date" in f
        and (planned := change.planned_of("joiner", "rehire"))
        and start != planned.effective_date
    ):
        intents.append(Intent("move", planned.event_type, start, planned.id, f"start date moved to {start}"))
    intents += _termination(change, today, rehired or bool(reversed_))
    intents += _moves_and_status(change, today)
    return intents


def _first_seen(a: dict[str, Any], start: date | None, today: date, existing_staff_days: int) -> list[Intent]:
    if a.get("hire_rescinded"):
        return []
    intents: list[Intent] = []
    horizon = today - timedelta(days=existing_staff_days)
    if a.get("status") in ("pre_hire", "active", "on_leave") and start is not None:
        if start >= horizon:
            intents.append(Intent("open", "joiner", start, reason=f"new {a.get('status')} starting {start}"))
        else:
            intents.append(
                Intent(
                    "record",
                    "joiner",
                    start,
                    suppressed=True,
                    reason=f"existing staff: started {start}, before the {existing_staff_days}-day window",
                )
            )
    termination = parse_date(a.get("last_day_of_work") or a.get("termination_date"))
    if termination is not None and termination >= horizon and not a.get("termination_reversed"):
        intents.append(Intent("open", "leaver", termination, reason=f"termination effective {termination}"))
    return intents


def _termination(change: PersonChange, today: date, handled: bool) -> list[Intent]:
    a, f = change.after, change.changed
    if handled or not ({"termination_date", "last_day_of_work"} & f) or not a.get("termination_date"):
        return []
    when = parse_date(a.get("last_day_of_work") or a.get("termination_date"))
    planned = change.planned_of("leaver")
    if planned is not None:
        if when != planned.effective_date:
            return [Intent("move", "leaver", when, planned.id, f"termination date moved to {when}")]
        return []
    return [Intent("open", "leaver", when, reason=f"termination effective {when}")]


def _moves_and_status(change: PersonChange, today: date) -> list[Intent]:
    a, b, f = change.after, change.before, change.changed
    intents: list[Intent] = []
    if b.get("status") != "on_leave" and a.get("status") == "on_leave":
        intents.append(
            Intent(
                "record", "leave_start", today, reason=f"leave of absence until {a.get('leave_return_date')}"
            )
        )
    elif b.get("status") == "on_leave" and a.get("status") == "active":
        intents.append(Intent("record", "leave_return", today, reason="returned from leave"))
    converted = (
        "worker_type" in f and b.get("worker_type") and a.get("worker_type") != b.get("worker_type")
    ) or (
        "employee_id" in f and b.get("employee_id") and a.get("previous_employee_id") == b.get("employee_id")
    )
    if converted:
        intents.append(
            Intent(
                "open",
                "conversion",
                today,
                reason=f"{b.get('worker_type')} -> {a.get('worker_type')}, ID {b.get('employee_id')} -> "
                f"{a.get('employee_id')}",
            )
        )
    moved = {name for name in MOVE_FIELDS if name in f and b.get(name) is not None}
    if moved and a.get("status") in ("active", "on_leave", "pre_hire") and not converted:
        desc = ", ".join(f"{n} {b.get(n)} -> {a.get(n)}" for n in sorted(moved))
        intents.append(Intent("open", "mover", today, reason=desc, changed=moved))
    return intents


def _cancel(change: PersonChange, types: tuple[str, ...], reason: str) -> list[Intent]:
    planned = change.planned_of(*types)
    if planned is None:
        return []
    return [Intent("cancel", planned.event_type, planned.effective_date, planned.id, reason)]
