"""Building ticket content from a playbook, a person and their footprint."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from core.lifecycle.footprint import DEFAULT_OWNER_TAGS, Footprints
from core.lifecycle.playbooks import Playbook, TemplateValues, task_applies


def template_values(
    person: dict[str, Any], before: dict[str, Any], effective: date | None, changed: set[str], reason: str
) -> TemplateValues:
    values = dict(person)
    values.setdefault(
        "display_name",
        " ".join(
            str(x)
            for x in (person.get("preferred_name") or person.get("given_name"), person.get("family_name"))
            if x
        )
        or person.get("employee_id"),
    )
    values.update({f"before_{k}": v for k, v in before.items()})
    values["effective_date"] = effective.isoformat() if effective else None
    values["changes"] = reason
    values["changed"] = ", ".join(sorted(changed))
    return TemplateValues(values)


def build_ticket(
    conn: sa.Connection,
    book: Playbook,
    person_id: str,
    person: dict[str, Any],
    values: TemplateValues,
    changed: set[str],
    footprints: Footprints | None = None,
) -> dict[str, Any]:
    """The ticket's content; `footprints` (covering `person_id`) answers its footprint tasks from
    what was loaded for the whole chunk, else the person's footprint is read alone."""
    if footprints is None or not footprints.covers(person_id):
        footprints = Footprints(conn, [person_id])
    tasks: list[dict[str, Any]] = []
    for index, spec in enumerate(book.tasks):
        if not task_applies(spec, person, changed):
            continue
        # a task that may be automated names its playbook task, so its action finds it
        tag = {"spec": index} if spec.action is not None else {}
        if spec.footprint:
            owner_tags = spec.owner_tags or DEFAULT_OWNER_TAGS
            found = footprints.tasks(person_id, spec.footprint, owner_tags)
            tasks += [{"title": t, "state": "open", **tag} for t in found]
        elif spec.title:
            tasks.append({"title": values.render(spec.title), "state": "open", **tag})
    return {
        "person_name": str(values.values.get("display_name") or ""),
        "title": values.render(book.title),
        "description": values.render(book.description),
        "assignment_group": book.assignment_group,
        "tasks": tasks,
    }


def iso(moment: datetime) -> str:
    return moment.isoformat()


def keep_task_progress(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A ticket rebuilt for a moved date keeps the work already done on it.

    A task still in the playbook's answer keeps its state and what was recorded on it (a
    technician's close, an action's evidence); a task no longer in the answer but already closed
    stays, at the end, so done work is never erased; an open one that no longer applies goes."""
    before = {task["title"]: task for task in old or []}
    kept = [{**task, **before[task["title"]]} if task["title"] in before else task for task in new]
    titles = {task["title"] for task in new}
    kept += [task for task in old or [] if task["title"] not in titles and task.get("state") != "open"]
    return kept
