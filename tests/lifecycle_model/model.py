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
  recomputes the priority; a reversal cancels it; a termination entered again for the date of a
  cancelled one reopens that ticket, for another date it is a new one (an event's identity is
  person, employment, type and effective date); a termination in a later employment is a new
  ticket; a termination entered and reversed between two syncs was never there;
- a transfer opens a `transfer` ticket when first seen (policy `transfer_notice: advance`), due on
  its effective date;
- a leave of absence and the return open nothing;
- an employment that has already ended when it is first seen needs no onboarding;
- the first time a person is seen (the initial load), only their latest employment can need
  onboarding, and a termination effective more than `existing_staff_days` ago is history (no
  ticket), as a start date that far back is;
- events come from the facts as HR states them, so a missed sync loses nothing and repeats nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

EXISTING_STAFF_DAYS = 14


@dataclass
class Employment:
    hire: date
    rescinded: bool = False
    #: every termination entered, in order: [date, reversed]; a correction moves the live one
    terminations: list[list] = field(default_factory=list)
    transfers: list[date] = field(default_factory=list)


@dataclass
class Worker:
    """What HR states now (Workday's facts), changed by each step."""

    employments: list[Employment] = field(default_factory=list)
    on_leave: bool = False

    @property
    def current(self) -> Employment:
        return self.employments[-1]

    def live_termination(self) -> list | None:
        return next((t for t in self.current.terminations if not t[1]), None)


@dataclass(frozen=True)
class Ticket:
    type: str
    due: date
    state: str
    priority: str


@dataclass
class _Seen:
    """What the hub has seen and opened so far (the model's own memory, not the engine's)."""

    first_seen: date | None = None
    tickets: dict[tuple[int, str, date | None], Ticket] = field(default_factory=dict)
    #: a termination entry (employment, position) -> the identity of the ticket it opened
    entries: dict[tuple[int, int], tuple[int, str, date]] = field(default_factory=dict)
    #: termination entries the initial load found long past (never a ticket)
    history: set[tuple[int, int]] = field(default_factory=set)


def apply_step(worker: Worker, step: tuple, today: date) -> None:
    """Change HR's facts by one step (the same vocabulary as the sandbox's admin steps)."""
    kind, *args = step
    if kind in ("hire", "rehire"):
        worker.employments.append(Employment(hire=args[0]))
    elif kind == "rescind":
        worker.current.rescinded = True
    elif kind == "move_hire":
        worker.current.hire = args[0]
    elif kind == "terminate":
        worker.current.terminations.append([args[0], False])
    elif kind == "move_termination":
        worker.live_termination()[0] = args[0]  # type: ignore[index]
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
    latest = len(worker.employments) - 1
    for number, job in enumerate(worker.employments):
        _onboarding(seen, number, job, today, first and number < latest, first)
        _offboarding(seen, number, job, today, first)
        for effective in job.transfers:
            key = (number, "transfer", effective)
            if key not in seen.tickets and not job.rescinded:
                seen.tickets[key] = Ticket("transfer", effective, "open", "normal")


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
            seen.tickets.setdefault(skipped, Ticket("-", job.hire, "-", "-"))
            return
        seen.tickets[key] = Ticket("onboarding", job.hire, "open", "normal")
    elif job.rescinded:
        seen.tickets[key] = Ticket("onboarding", ticket.due, "cancelled", ticket.priority)
    elif ticket.state == "open" and ticket.due != job.hire:
        seen.tickets[key] = Ticket("onboarding", job.hire, "open", ticket.priority)


def _offboarding(seen: _Seen, number: int, job: Employment, today: date, first: bool) -> None:
    """One ticket per termination entry; the identity is the date the entry was first seen with."""
    live: set[tuple[int, str, date]] = set()
    for position, (day, reversed_) in enumerate(job.terminations):
        if reversed_ or job.rescinded or (number, position) in seen.history:
            continue
        if first and day < today - timedelta(days=EXISTING_STAFF_DAYS):
            seen.history.add((number, position))
            continue
        key = seen.entries.setdefault((number, position), (number, "offboarding", day))
        live.add(key)
        ticket = seen.tickets.get(key)
        if ticket is None or ticket.state == "cancelled" or ticket.due != day:
            seen.tickets[key] = Ticket("offboarding", day, "open", "urgent" if day <= today else "normal")
    for (employment, _), key in seen.entries.items():
        ticket = seen.tickets[key]
        if employment == number and key not in live and ticket.state == "open":
            seen.tickets[key] = Ticket("offboarding", ticket.due, "cancelled", ticket.priority)


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
    return sorted(real, key=lambda t: (t.type, t.due, t.state, t.priority))
