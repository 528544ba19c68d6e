"""The Jira sandbox's issues, workflows and JQL subset, rendered in the Cloud REST v3 shapes.

Two out-of-box style workflows: the service request workflow (Waiting for support -> In Progress
-> Resolved -> Closed, or Canceled) and a sub-task workflow (To Do -> In Progress -> Done, or
Canceled). JQL: `AND`-joined clauses on project, labels, key, status, issuetype and text custom
fields (`cf[N] ~ "phrase"`), with `ORDER BY created`; unknown fields answer 400 like Jira.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = {  # statusCategory key -> (id, name, colour)
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STATUSES = {  # name -> (id, category key)
    "Waiting for support": ("10010", "new"),
    "Waiting for customer": ("10011", "indeterminate"),
    "In Progress": ("3", "indeterminate"),
    "Resolved": ("10012", "done"),
    "Closed": ("6", "done"),
    "Canceled": ("10013", "done"),
    "To Do": ("10000", "new"),
    "Done": ("10001", "done"),
}
# status -> [(transition id, name, target status, resolution set on the way or None)]
REQUEST_FLOW: dict[str, list[tuple[str, str, str, str | None]]] = {
    "Waiting for support": [
        ("11", "Start work", "In Progress", None),
        ("21", "Resolve this issue", "Resolved", "Done"),
        ("31", "Cancel request", "Canceled", "Won't Do"),
    ],
    "In Progress": [
        ("41", "Pending", "Waiting for customer", None),
        ("21", "Resolve this issue", "Resolved", "Done"),
        ("31", "Cancel request", "Canceled", "Won't Do"),
    ],
    "Waiting for customer": [
        ("51", "Respond to customer", "In Progress", None),
        ("31", "Cancel request", "Canceled", "Won't Do"),
    ],
    "Resolved": [("61", "Close", "Closed", None), ("71", "Reopen", "Waiting for support", None)],
    "Closed": [],
    "Canceled": [("71", "Reopen", "Waiting for support", None)],
}
SUBTASK_FLOW: dict[str, list[tuple[str, str, str, str | None]]] = {
    "To Do": [
        ("11", "Start", "In Progress", None),
        ("31", "Done", "Done", "Done"),
        ("41", "Cancel", "Canceled", "Won't Do"),
    ],
    "In Progress": [("31", "Done", "Done", "Done"), ("41", "Cancel", "Canceled", "Won't Do")],
    "Done": [("51", "Reopen", "To Do", None)],
    "Canceled": [("51", "Reopen", "To Do", None)],
}
RESOLUTIONS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002"}
SUBTASK_TYPE, REQUEST_TYPE_ISSUE = "10003", "10005"
KEY_FIELD = "customfield_10050"
PROJECT, PROJECT_ID = "HR", "10004"
EDITABLE = {"summary", "description", "duedate", "labels", KEY_FIELD, "priority"}
SEARCHABLE = {"project", "labels", "key", "status", "issuetype", "parent"}


@dataclass
class Issue:
    id: str
    key: str
    project: str
    issuetype: str
    summary: str
    created: str
    status: str
    description: Any = None
    duedate: str | None = None
    labels: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    priority: str = "3"
    resolution: str | None = None
    parent: str | None = None
    subtasks: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    updated: str = ""
    #: monotonic time from which JQL search returns the issue (Jira's index lags a create)
    indexed_at: float = 0.0

    @property
    def flow(self) -> dict[str, list[tuple[str, str, str, str | None]]]:
        return SUBTASK_FLOW if self.issuetype == SUBTASK_TYPE else REQUEST_FLOW

    def value(self, name: str) -> Any:
        if name.startswith("cf["):
            name = f"customfield_{name[3:-1]}"
        if name.startswith("customfield_"):
            return self.custom.get(name)
        return {
            "project": self.project,
            "labels": self.labels,
            "key": self.key,
            "status": self.status,
            "issuetype": self.issuetype,
            "parent": self.parent,
        }[name]


def render_status(base: str, name: str) -> dict[str, Any]:
    status_id, category = STATUSES[name]
    cat_id, cat_name, colour = CATEGORIES[category]
    return {
        "self": f"{base}/rest/api/3/status/{status_id}",
        "description": "",
        "name": name,
        "id": status_id,
        "statusCategory": {
            "self": f"{base}/rest/api/3/statuscategory/{cat_id}",
            "id": cat_id,
            "key": category,
            "colorName": colour,
            "name": cat_name,
        },
    }


def render_fields(issue: Issue, names: list[str], base: str, issues: dict[str, Issue]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        if name == "status":
            out[name] = render_status(base, issue.status)
        elif name == "resolution":
            out[name] = (
                {"self": f"{base}/rest/api/3/resolution/{RESOLUTIONS[issue.resolution]}",
                 "id": RESOLUTIONS[issue.resolution], "description": "", "name": issue.resolution}
                if issue.resolution else None
            )  # fmt: skip
        elif name == "subtasks":
            out[name] = [
                {
                    "id": sub.id,
                    "key": sub.key,
                    "self": f"{base}/rest/api/3/issue/{sub.id}",
                    "fields": {
                        "summary": sub.summary,
                        "status": render_status(base, sub.status),
                        "issuetype": {"id": SUBTASK_TYPE, "name": "Sub-task", "subtask": True},
                    },
                }
                for sub in (issues[i] for i in issue.subtasks)
            ]
        elif name == "priority":
            out[name] = {"self": f"{base}/rest/api/3/priority/{issue.priority}", "id": issue.priority}
        elif name.startswith("customfield_"):
            out[name] = issue.custom.get(name)
        elif name in ("summary", "description", "duedate", "labels", "created", "updated"):
            out[name] = getattr(issue, name)
    return out


class JqlError(ValueError):
    """A JQL clause Jira would reject (400 with errorMessages)."""


_CLAUSE = re.compile(
    r"^\s*(?P<field>[A-Za-z_]+(?:\[\d+\])?|customfield_\d+)\s*(?P<op>=|~|!=)\s*(?P<value>.+?)\s*$"
)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _split_and(text: str) -> list[str]:
    parts, depth_quote, current, i = [], False, "", 0
    while i < len(text):
        if text[i] == "\\" and depth_quote:
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] == '"':
            depth_quote = not depth_quote
        if not depth_quote and text[i : i + 5].upper() == " AND ":
            parts.append(current)
            current, i = "", i + 5
            continue
        current += text[i]
        i += 1
    return [*parts, current]


def run_jql(jql: str, issues: list[Issue]) -> list[Issue]:
    """Issues matching the JQL subset, ordered as asked (default: created descending)."""
    parts = re.split(r"(?i)\s+ORDER\s+BY\s+", jql, maxsplit=1)
    body, order = parts[0], parts[1] if len(parts) > 1 else ""
    found = issues
    for clause in filter(str.strip, _split_and(body)):
        match = _CLAUSE.match(clause)
        if not match:
            raise JqlError(f"Error in the JQL Query: cannot parse '{clause.strip()}'.")
        name, op, value = match["field"], match["op"], _unquote(match["value"])
        if name not in SEARCHABLE and not name.startswith(("cf[", "customfield_")):
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        found = [i for i in found if _test(i.value(name), op, value)]
    descending = not order or order.strip().upper().endswith("DESC")
    return sorted(found, key=lambda i: (i.created, int(i.id)), reverse=descending)


def _test(actual: Any, op: str, value: str) -> bool:
    if op == "~":
        phrase = _unquote(value).lower()
        return isinstance(actual, str) and phrase in actual.lower()
    hit = value in actual if isinstance(actual, list) else str(actual or "") == value
    return hit if op == "=" else not hit
