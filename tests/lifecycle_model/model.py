"""A reference model of the lifecycle tickets, written from the issue and `docs/policies.md`
alone: pure functions over an HR timeline, no store, no engine code.

A timeline is what happened in order: HR steps entered in Workday, clock advances and syncs.
The model replays it the way the policies read, sync by sync, and says which tickets must exist
at the end: (type, due date, state, priority) per employee.

The rules it encodes (each one sentence of the policies):
- a person has employments; a hire opens one, a rehire the next; every event belongs to one;
- onboarding (`joiner`, `rehire`) opens when the hire is first seen, due on the start date,
  `normal`; a person first seen more than `existing_staff_days` after their start gets none; a
  moved start date moves the due date; a rescinded hire cancels it;
- offboarding opens when a termination is first seen, due on the termination date, `urgent`
  when that date is today or past, `normal` otherwise; a moved date keeps the ticket and
  recomputes the priority; a reversal cancels it; a termination entered again after a reversal
  is a new ticket, even for the same date (policies: "entered again after a reversal (even for
  the same date) it opens a new ticket"); a termination in a later employment is a new ticket;
  detection compares what HR states with what was last acted on, so what happens between two
  syncs counts by its result (entered and reversed: nothing; reversed and entered again: the
  same ticket, its date moved if the date differs);
- a future-dated transfer opens a `transfer` ticket when first seen (policy `transfer_notice:
  advance`), due on its effective date; transfers already in effect when seen are one change of
  job, an ordinary mover, due after the mover deadline (24 h: the next day); a termination that
  comes before the transfer takes effect supersedes it (its ticket is cancelled; never opened if
  not yet seen), and a transfer first seen once the employment has ended opens nothing; a
  termination entered (or moved) before a transfer still ahead cancels it in Workday (the Manage
  Business Processes for Worker step of Terminate Employee), so a reversal, a termination moved
  later or a rehire does not bring it back;
- a leave of absence and the return open nothing;
- a contractor converted to employee (a new employee ID naming the old one) is the same person,
  not a leaver and a joiner: one `transfer` ticket under the new ID, due as a transfer is; a
  ticket names the person by the ID HR gives them when it opens, so one opened with the
  conversion (a rehire entered just before it, unseen) is under the new ID too;
- an employment that has already ended when it is first seen needs no onboarding;
- the first time a person is seen (the initial load), only their latest employment can need
  onboarding, a termination effective more than `existing_staff_days` ago is history (no
  ticket), as a start date that far back is, and a transfer already in effect is part of the
  state the hub starts from (only a pending one gets its notice);
- events come from the facts as HR states them, so a missed sync loses nothing and repeats nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

EXISTING_STAFF_DAYS = 14


@dataclass
class Employment:
    hire: date
    rescinded: bool = False
    #: every termination entered, in order: [date, reversed]; a correction moves the live one
    terminations: list[list] = field(default_factory=list)
    transfers: list[date] = field(default_factory=list)
    #: transfers a termination dated before them cancelled while still ahead (Workday's Manage
    #: Business Processes for Worker step): never revived by a reversal or a later move
    cancelled: set[date] = field(default_factory=set)

    def cancel_transfers_after(self, end: date, today: date) -> None:
        self.cancelled |= {day for day in self.transfers if day > end and day > today}


@dataclass
class Worker:
    """What HR states now (Workday's facts), changed by each step."""

    employee_id: str = ""
    employments: list[Employment] = field(default_factory=list)
    on_leave: bool = False
    #: (effective date, new employee ID) once a contractor is converted
    conversion: tuple[date, str] | None = None

    @property
    def current(self) -> Employment:
        return self.employments[-1]

    def live_termination(self) -> list | None:
        return next((t for t in self.current.terminations if not t[1]), None)


@dataclass(frozen=True)
class Ticket:
    employee_id: str
    type: str
    due: date
    state: str
    priority: str


@dataclass
class _Seen:
    """What the hub has seen and opened so far (the model's own memory, not the engine's)."""

    first_seen: date | None = None
    employee_id: str = ""
    tickets: dict[tuple[int, str, Any], Ticket] = field(default_factory=dict)
    #: employment -> the offboarding ticket last acted on ("history": the initial load found the
    #: termination long past, no ticket)
    acted: dict[int, Any] = field(default_factory=dict)


def apply_step(worker: Worker, step: tuple, today: date) -> None:
    """Change HR's facts by one step (the same vocabulary as the sandbox's admin steps)."""
    kind, *args = step
    if kind == "hire":
        worker.employee_id = args[1]
    if kind in ("hire", "rehire"):
        worker.employments.append(Employment(hire=args[0]))
    elif kind == "convert":
        worker.conversion = (args[0], args[1])
    elif kind == "rescind":
        worker.current.rescinded = True
    elif kind == "move_hire":
        worker.current.hire = args[0]
    elif kind == "terminate":
        worker.current.terminations.append([args[0], False])
        worker.current.cancel_transfers_after(args[0], today)
    elif kind == "move_termination":
        worker.live_termination()[0] = args[0]  # type: ignore[index]
        worker.current.cancel_transfers_after(args[0], today)
    elif kind == "reverse":
        worker.live_termination()[1] = True  # type: ignore[index]
    elif kind == "transfer":
        worker.current.transfers.append(args[0])
    elif kind == "leave":
        worker.on_leave = True
    elif kind == "return":
        worker.on_leave = False


def _sync(worker: Worker, seen: _Seen, today: date) -> None:
    if not worker.employments:
        return
    first = seen.first_seen is None
    if first:
        seen.first_seen = today
    seen.employee_id = worker.conversion[1] if worker.conversion else worker.employee_id
    if worker.conversion is not None:
        effective, new_id = worker.conversion
        due = effective if effective > today else today + timedelta(days=1)
        seen.tickets.setdefault((0, "conversion", new_id), Ticket(new_id, "transfer", due, "open", "normal"))
    latest = len(worker.employments) - 1
    for number, job in enumerate(worker.employments):
        _onboarding(seen, number, job, today, first and number < latest, first)
        _offboarding(seen, number, job, today, first)
        _transfers(seen, number, job, today, first)


def _transfers(seen: _Seen, number: int, job: Employment, today: date, first: bool) -> None:
    """A pending transfer gets its own notice; the ones that took effect unseen are one change of
    job (the hub acts on the job HR states now): one mover ticket, due after the mover deadline."""
    leaving = [day for day, reversed_ in job.terminations if not reversed_]
    unseen_in_effect = []
    for effective in job.transfers:
        key = (number, "transfer", effective)
        ticket = seen.tickets.get(key)
        superseded = effective in job.cancelled or any(day < effective for day in leaving)
        if ticket is None and effective in job.cancelled:
            continue  # cancelled before any sync saw it: it never happens
        if ticket is not None:
            if ticket.type != "-" and superseded and ticket.state == "open":
                seen.tickets[key] = replace(ticket, state="cancelled")
        elif first and effective <= today:
            seen.tickets[key] = Ticket("", "-", effective, "-", "-")  # the state the hub starts from
        elif not superseded and not job.rescinded and not _ended(job, today):
            if effective > today:
                seen.tickets[key] = Ticket(seen.employee_id, "transfer", effective, "open", "normal")
            else:
                unseen_in_effect.append(key)
    for position, key in enumerate(unseen_in_effect):
        due = today + timedelta(days=1)
        last = position == len(unseen_in_effect) - 1
        seen.tickets[key] = (
            Ticket(seen.employee_id, "transfer", due, "open", "normal")
            if last
            else Ticket("", "-", due, "-", "-")
        )


def _ended(job: Employment, today: date) -> bool:
    return any(not reversed_ and day <= today for day, reversed_ in job.terminations)


def _onboarding(seen: _Seen, number: int, job: Employment, today: date, history: bool, first: bool) -> None:
    key = (number, "onboarding", None)
    skipped = (number, "no-onboarding", None)
    ticket = seen.tickets.get(key)
    if ticket is None:
        late = first and job.hire < today - timedelta(days=EXISTING_STAFF_DAYS)
        passed = skipped in seen.tickets or (number == 0 and not first)  # decided at first sight
        if passed or history or job.rescinded or _ended(job, today) or late:
            seen.tickets.setdefault(skipped, Ticket("", "-", job.hire, "-", "-"))
            return
        seen.tickets[key] = Ticket(seen.employee_id, "onboarding", job.hire, "open", "normal")
    elif job.rescinded:
        seen.tickets[key] = replace(ticket, state="cancelled")
    elif ticket.state == "open" and ticket.due != job.hire:
        seen.tickets[key] = replace(ticket, due=job.hire)


def _offboarding(seen: _Seen, number: int, job: Employment, today: date, first: bool) -> None:
    """HR's termination now against the ticket last acted on (detection compares facts, so a
    reversal and a re-entry both between two syncs look like no change, or a moved date)."""
    live = (
        None if job.rescinded else next((day for day, reversed_ in job.terminations if not reversed_), None)
    )
    key = seen.acted.get(number)
    ticket = seen.tickets.get(key) if key else None
    if key == "history":
        return
    if live is None:
        if ticket is not None and ticket.state == "open":
            seen.tickets[key] = replace(ticket, state="cancelled")  # type: ignore[index]
        return
    if ticket is None and first and live < today - timedelta(days=EXISTING_STAFF_DAYS):
        seen.acted[number] = "history"
        return
    priority = "urgent" if live <= today else "normal"
    if ticket is None or ticket.state == "cancelled":
        key = (number, "offboarding", len(seen.tickets))
        seen.acted[number] = key
        seen.tickets[key] = Ticket(seen.employee_id, "offboarding", live, "open", priority)
    elif ticket.due != live:
        seen.tickets[key] = replace(ticket, due=live, priority=priority)  # type: ignore[index]


def expected_tickets(timeline: list[tuple], start: date) -> list[Ticket]:
    """The tickets that must exist after the timeline (one worker), in a stable order."""
    worker, seen, today = Worker(), _Seen(), start
    for step in timeline:
        if step[0] == "advance":
            today += timedelta(days=step[1])
        elif step[0] == "sync":
            _sync(worker, seen, today)
        else:
            apply_step(worker, step, today)
    real = [t for t in seen.tickets.values() if t.type != "-"]
    return sorted(real, key=lambda t: (t.employee_id, t.type, t.due, t.state, t.priority))
