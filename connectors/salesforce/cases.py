"""How a hub ticket reads as a Salesforce Case, and how a Case's status reads back.

Tasks travel as a checklist in the Case Description rather than as Task records: the checklist
is written by the same single upsert that carries the idempotency key, so a ticket and its
tasks are created exactly once, atomically, with no second object to permission or to
de-duplicate after a crash. The hub does not read task progress back (a technician closes the
Case), so nothing is lost by not having per-task records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.salesforce.config import SalesforceConfig
from core.connector.sink import TaskPayload, TicketPayload
from core.tickets.render import readable
from core.vocabulary import TaskState, TicketState

SUBJECT_MAX = 255
DESCRIPTION_MAX = 32_000
COMMENTS_MAX = 4_000
CHECKLIST_HEADING = "Checklist (kept by the hub; close the Case when every item is done):"
_BOX: dict[str, str] = {"open": "[ ]", "closed": "[x]", "cancelled": "[-]"}
_STATE_OF_BOX: dict[str, TaskState] = {"[ ]": "open", "[x]": "closed", "[-]": "cancelled"}


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def salesforce_datetime(value: str) -> str:
    """ISO 8601 with offset -> the UTC form Salesforce returns (`2026-03-15T09:00:00.000+0000`)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"due {value!r} has no UTC offset")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def description(ticket: TicketPayload) -> str:
    """The ticket text, then the task checklist, then the facts a technician searches by.

    The checklist and the facts are kept whole; only the free text is shortened when the Case
    Description limit (32,000 characters) would be exceeded.
    """
    items = [CHECKLIST_HEADING] + [
        f"{_BOX.get(task['state'], '[ ]')} {_one_line(task['title'])}" for task in ticket["tasks"]
    ]
    facts = [
        f"Employee ID: {ticket['employee_id'] or 'unknown'}",
        f"Due: {ticket['due']}",
        f"Hub key: {ticket['key']}",
    ]
    tail = "\n\n" + "\n".join(items) + "\n\n" + "\n".join(facts)
    if len(tail) >= DESCRIPTION_MAX:
        return clip(tail.lstrip("\n"), DESCRIPTION_MAX)
    return clip(readable(ticket["description"]), DESCRIPTION_MAX - len(tail)) + tail


def case_tasks(description_text: str) -> list[TaskPayload]:
    """The tasks as a technician reads them back from a Case Description written by the hub."""
    lines = description_text.split("\n")
    if CHECKLIST_HEADING not in lines:
        return []
    tasks: list[TaskPayload] = []
    last_heading = len(lines) - 1 - lines[::-1].index(CHECKLIST_HEADING)
    for line in lines[last_heading + 1 :]:
        state = _STATE_OF_BOX.get(line[:3])
        if state is None or line[3:4] != " ":
            break
        tasks.append({"title": line[4:], "state": state})
    return tasks


def _one_line(text: str) -> str:
    return " ".join(text.split())


def case_fields(config: SalesforceConfig, ticket: TicketPayload) -> dict[str, Any]:
    """Fields the hub owns on the Case. Status is not among them: after creation the service desk
    owns it (a new Case takes the org's default status), except when the hub cancels."""
    fields: dict[str, Any] = {
        "Subject": clip(ticket["title"], SUBJECT_MAX),
        "Description": description(ticket),
        "Priority": config.priority_map.get(ticket["priority"], "Medium"),
    }
    if config.due_field:
        fields[config.due_field] = salesforce_datetime(ticket["due"])
    if config.origin:
        fields["Origin"] = config.origin
    if config.case_type:
        fields["Type"] = config.case_type
    if config.record_type_id:
        fields["RecordTypeId"] = config.record_type_id
    queue = config.queues.get(ticket["assignment_group"])
    if queue:
        fields["OwnerId"] = queue
    return fields


def ticket_state(config: SalesforceConfig, status: str, is_closed: bool) -> TicketState:
    """The hub state of a Case: the cancel status, then `status_map`, then the IsClosed flag."""
    if status == config.cancelled_status:
        return "cancelled"
    mapped = config.status_map.get(status)
    if mapped is not None:
        return mapped
    return "closed" if is_closed else "in_progress"
