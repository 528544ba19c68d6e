"""Random HR timelines for one worker, drawn step by step so every step is one HR could enter
(a reversal needs a termination, a rehire a termination before it...), and their translation
into a scenario the real runner plays against the sandboxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

EMPLOYEE_ID = "E9001"
ALL_KINDS = frozenset(
    {"hire", "rescind", "move_hire", "terminate", "reverse", "move_termination", "rehire"}
    | {"transfer", "leave", "return", "advance", "sync"}
)
DEPARTMENTS = ("FIN", "PW")


@dataclass
class _Story:
    today: date
    hire: date | None = None
    termination: date | None = None
    rescinded: bool = False
    on_leave: bool = False
    transfers: set[date] = field(default_factory=set)

    def choices(self, kinds: frozenset[str]) -> list[str]:
        if self.hire is None:
            return ["hire"]
        options = ["advance", "sync"]
        if self.rescinded:
            return options
        if self.on_leave:
            return [*options, "return"]
        if self.termination is not None:
            options += ["reverse", "move_termination", "rehire"]
        else:
            options += ["terminate"]
            if self.hire > self.today:
                options += ["move_hire", "rescind"]
            else:
                options += ["transfer", "leave"]
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
        return ("sync",)
    if kind in ("hire", "move_hire"):
        story.hire = _day(
            draw,
            today - timedelta(days=10) if kind == "hire" else today + timedelta(1),
            today + timedelta(40),
        )
        return (kind, story.hire)
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
        story.termination, story.transfers = None, set()
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


def scenario_steps(timeline: list[tuple]) -> list[dict[str, Any]]:
    """The scenario steps (as a YAML file writes them) that enter the timeline in the sandboxes."""
    who = {"employee_id": EMPLOYEE_ID}
    out: list[dict[str, Any]] = []
    for kind, *args in timeline:
        if kind == "advance":
            out.append({"advance": f"{args[0]}d"})
        elif kind == "sync":
            out.append({"sync": {}})
        elif kind == "hire":
            out.append(
                {"workday.hire": {**who, "given_name": "Ana", "family_name": "Modelo", "hire_date": args[0]}}
            )
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
