"""Random HR timelines for one worker, drawn step by step so every step is one HR could enter
(a reversal needs a termination, a rehire a termination before it...), and their translation
into a scenario the real runner plays against the sandboxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

EMPLOYEE_ID = "E9001"
#: a contingent worker's ID: converted, they become EMPLOYEE_ID
CONTRACTOR_ID = "C9001"
#: not a step but a story: a second rehire entered before any sync saw the first one (an
#: employment that both starts and ends between two syncs)
REHIRE_AGAIN_UNSEEN = "rehire_again_unseen"
ALL_KINDS = frozenset(
    {"hire", "rescind", "move_hire", "terminate", "reverse", "move_termination", "rehire"}
    | {"transfer", "leave", "return", "convert", "advance", "sync", REHIRE_AGAIN_UNSEEN}
)
DEPARTMENTS = ("FIN", "PW")


@dataclass
class _Story:
    today: date
    hire: date | None = None
    termination: date | None = None
    #: the end of the previous employment: a rehire's start stays after it
    previous_end: date | None = None
    rescinded: bool = False
    on_leave: bool = False
    contractor: bool = False
    seen: bool = False  # a sync ran since the hire
    converted: bool = False
    transfers: set[date] = field(default_factory=set)
    rehired_unseen: bool = False  # a rehire entered since the last sync

    def choices(self, kinds: frozenset[str]) -> list[str]:
        if self.hire is None:
            return ["hire"]
        options = ["advance", "sync"]
        if self.rescinded or self.converted:
            return options
        if self.on_leave:
            return [*options, "return"]
        if self.termination is not None:
            options += ["reverse", "move_termination"]
            if not self.rehired_unseen or REHIRE_AGAIN_UNSEEN in kinds:
                options += ["rehire"]
        else:
            options += ["terminate"]
            if self.hire > self.today:
                options += ["move_hire", "rescind"]
            else:
                options += ["leave"]
                if all(day <= self.today for day in self.transfers):  # one pending job change at a time
                    options += ["transfer"]
                if self.contractor and self.seen:
                    options += ["convert"]
        return [k for k in options if k in kinds]


def _day(draw: Any, low: date, high: date) -> date:
    return low + timedelta(days=draw(st.integers(0, max(0, (high - low).days))))


@st.composite
def timelines(draw: Any, start: date, kinds: frozenset[str] = ALL_KINDS, max_steps: int = 10) -> list[tuple]:
    """A timeline: HR steps, `("advance", days)` and `("sync",)`, ending with a sync."""
    story, steps = _Story(start), []
    for _ in range(draw(st.integers(1, max_steps))):
        kind = draw(st.sampled_from(story.choices(kinds)))
        steps.append(_step(draw, story, kind))
    return [*steps, ("sync",)]


def _step(draw: Any, story: _Story, kind: str) -> tuple:
    today = story.today
    if kind == "advance":
        days = draw(st.integers(1, 20))
        story.today += timedelta(days=days)
        return ("advance", days)
    if kind == "sync":
        story.seen = story.hire is not None
        story.rehired_unseen = False
        return ("sync",)
    if kind == "hire":
        story.hire = _day(draw, today - timedelta(days=10), today + timedelta(40))
        story.contractor = draw(st.integers(0, 3)) == 0
        return (kind, story.hire, CONTRACTOR_ID if story.contractor else EMPLOYEE_ID)
    if kind == "move_hire":  # a start still ahead, kept after the previous employment's end
        low = max(today, story.previous_end or today) + timedelta(1)
        story.hire = _day(draw, low, low + timedelta(39))
        return (kind, story.hire)
    if kind == "convert":
        story.converted = True
        return (kind, _day(draw, today, today + timedelta(14)), EMPLOYEE_ID)
    if kind == "rescind":
        story.rescinded = True
        return ("rescind",)
    if kind in ("terminate", "move_termination"):
        assert story.hire is not None
        low = max(story.hire, today - timedelta(days=3))
        story.termination = _day(draw, low, low + timedelta(days=30))
        return (kind, story.termination)
    if kind == "reverse":
        story.termination = None
        return ("reverse",)
    if kind == "rehire":
        assert story.termination is not None
        story.hire = _day(draw, story.termination + timedelta(1), story.termination + timedelta(40))
        story.previous_end, story.termination, story.transfers = story.termination, None, set()
        story.rehired_unseen = True
        return ("rehire", story.hire)
    if kind == "transfer":
        effective = draw(st.sampled_from([today, _day(draw, today + timedelta(1), today + timedelta(30))]))
        if effective in story.transfers:
            return ("sync",)
        story.transfers.add(effective)
        return ("transfer", effective, DEPARTMENTS[len(story.transfers) % 2])
    if kind == "leave":
        story.on_leave = True
        return ("leave", today)
    story.on_leave = False
    return ("return", today)


def stories(timeline: list[tuple]) -> set[str]:
    """The step kinds of a timeline and the stories it tells that no single step names."""
    kinds, rehires = {step[0] for step in timeline}, 0
    for step in timeline:
        rehires = 0 if step[0] == "sync" else rehires + (step[0] == "rehire")
        if rehires > 1:
            kinds.add(REHIRE_AGAIN_UNSEEN)
    return kinds


def scenario_steps(timeline: list[tuple]) -> list[dict[str, Any]]:
    """The scenario steps (as a YAML file writes them) that enter the timeline in the sandboxes."""
    who = {"employee_id": EMPLOYEE_ID}
    out: list[dict[str, Any]] = []
    for kind, *args in timeline:
        if kind == "hire":
            who = {"employee_id": args[1]}
        if kind == "advance":
            out.append({"advance": f"{args[0]}d"})
        elif kind == "sync":
            out.append({"sync": {}})
        elif kind == "hire":
            worker_type = "contractor" if args[1] == CONTRACTOR_ID else "employee"
            names = {"given_name": "Ana", "family_name": "Modelo", "worker_type": worker_type}
            out.append({"workday.hire": {**who, **names, "hire_date": args[0]}})
        elif kind == "convert":
            change = {"new_employee_id": args[1], "effective_date": args[0], "worker_type": "employee"}
            out.append({"workday.convert": {**who, **change}})
        elif kind == "rehire":
            out.append({"workday.rehire": {**who, "hire_date": args[0]}})
        elif kind == "rescind":
            out.append({"workday.rescind_hire": who})
        elif kind == "move_hire":
            out.append({"workday.update": {**who, "fields": {"hire_date": args[0]}}})
        elif kind == "terminate":
            out.append({"workday.terminate": {**who, "termination_date": args[0]}})
        elif kind == "move_termination":
            out.append({"workday.update": {**who, "fields": {"termination_date": args[0]}}})
        elif kind == "reverse":
            out.append({"workday.reverse_termination": who})
        elif kind == "transfer":
            out.append({"workday.transfer": {**who, "effective_date": args[0], "org": args[1]}})
        elif kind == "leave":
            out.append(
                {"workday.leave": {**who, "start_date": args[0], "return_date": args[0] + timedelta(30)}}
            )
        elif kind == "return":
            out.append({"workday.return_from_leave": {**who, "return_date": args[0]}})
    return out
