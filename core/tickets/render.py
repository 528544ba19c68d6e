"""How a hub ticket reads in a sink whose tasks are separate records, and how its tasks are kept.

One text for every such sink (ServiceNow, Jira Service Management, TeamDynamix): the ticket's
description, the facts a technician searches by, then the task checklist. The checklist is what
a create cut short by a crash resumes from: `find(key)` reads it back and adds the tasks that were
not created yet, so no sink keeps a second copy of the task list anywhere.

`sync_tasks` is the one rule for bringing a sink's tasks in line with the payload: add what is
missing (in the state the payload gives), finish open tasks the payload closed or cancelled, and
never reopen a task a technician finished.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Literal, TypeVar

from core.connector.sink import TaskPayload, TicketPayload
from core.vocabulary import TaskState

CHECKLIST = "Tasks:"

RemoteTask = TypeVar("RemoteTask")
FinishedState = Literal["closed", "cancelled"]

#: a fact the person's record lacks, as a playbook renders it: `Last day of work: -.`
UNKNOWN_FACT = re.compile(r"(?:^|(?<=[.!?] ))(?P<label>[A-Z][A-Za-z ]{0,40}): -(?:\.|$)", re.MULTILINE)
#: what a technician can do instead, per fact; any other fact gets UNKNOWN_OTHERWISE
UNKNOWN_MEANS = {
    "Last day of work": "not recorded in HR, so the deadline counts from the termination date; "
    "ask the manager whether the person stops working earlier",
    "Manager": "not recorded in HR; ask HR who approves this person's access",
}
UNKNOWN_OTHERWISE = "not recorded in HR; ask HR before acting on it"


def readable(text: str) -> str:
    """Ticket text as every sink shows it: a `Label: -.` sentence (the person's record had no
    value) becomes one a technician can act on, instead of a dash to guess about."""
    return UNKNOWN_FACT.sub(
        lambda m: f"{m['label']}: {UNKNOWN_MEANS.get(m['label'], UNKNOWN_OTHERWISE)}.", text
    )


def render_description(ticket: TicketPayload) -> str:
    """What the agent reads, ending with the task checklist a crash-interrupted create resumes from."""
    lines = [
        readable(ticket["description"]),
        "",
        f"Employee ID: {ticket['employee_id']}",
        f"Hub key: {ticket['key']}",
    ]
    return "\n".join([*lines, CHECKLIST, *(f"- {t['title']}" for t in ticket["tasks"])])


def checklist(description: str) -> list[str]:
    """The task titles of a description written by `render_description` (the last checklist wins,
    so an agent's text above it cannot add tasks); [] for text the hub did not write."""
    _, found, tail = description.rpartition(f"\n{CHECKLIST}\n")
    return [line[2:] for line in tail.splitlines() if line.startswith("- ")] if found else []


def open_tasks(description: str) -> list[TaskPayload]:
    """The checklist as tasks to create, all open (what a resumed create adds)."""
    return [{"title": title, "state": "open"} for title in checklist(description)]


def sync_tasks(
    wanted: Iterable[TaskPayload],
    existing: Mapping[str, RemoteTask],
    *,
    title_max: int,
    is_open: Callable[[RemoteTask], bool],
    add: Callable[[str, TaskState], object],
    finish: Callable[[RemoteTask, FinishedState], object],
) -> None:
    """Bring a ticket's tasks (by title, cut to the sink's `title_max`) in line with `wanted`.

    `add(title, state)` creates a task already in `state`; `finish(task, state)` moves an open task
    to closed or cancelled. A finished task is never reopened and an open one the payload still
    wants open is left alone, so calling this again changes nothing (idempotent)."""
    for task in wanted:
        title = task["title"][:title_max]
        state = task["state"]
        current = existing.get(title)
        if current is None:
            add(title, state)
        elif state != "open" and is_open(current):
            finish(current, state)
