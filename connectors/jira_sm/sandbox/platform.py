"""The Jira platform REST v3 half of the sandbox: JQL search, issues, sub-tasks, transitions.

A mixin of `JiraSandbox` (which owns the issues, auth and the service desk API); error bodies
use the platform shape `{"errorMessages": [...], "errors": {...}}`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.jira_sm.sandbox.model import (
    EDITABLE,
    PROJECT,
    PROJECT_ID,
    STATUSES,
    SUBTASK_TYPE,
    Issue,
    JqlError,
    render_fields,
    render_status,
    run_jql,
)
from core.sandbox.server import Request, Response, json_response


def platform_error(status: int, messages: list[str], errors: dict[str, str] | None = None) -> Response:
    return json_response({"errorMessages": messages, "errors": errors or {}}, status)


class PlatformApi:
    issues: dict[str, Issue]

    if TYPE_CHECKING:

        @property
        def url(self) -> str: ...

        def _issue(self, ref: str) -> Issue | None: ...

        def _new_issue(self, issuetype: str, summary: str) -> Issue: ...

    @staticmethod
    def _check_values(values: dict[str, Any], *, plain_description: bool) -> str | None:
        due = values.get("duedate")
        if due is not None:
            try:
                datetime.strptime(str(due), "%Y-%m-%d")
            except ValueError:
                return f"duedate: Error parsing date string: {due}"
        if (
            "description" in values
            and not plain_description
            and not (isinstance(values["description"], dict) and values["description"].get("type") == "doc")
        ):
            return "description: Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        labels = values.get("labels")
        if labels is not None and any((" " in str(label)) for label in labels):
            return "labels: The label can't contain spaces."
        return None

    @staticmethod
    def _apply(issue: Issue, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "priority":
                issue.priority = str(value.get("id", "3"))
            elif name.startswith("customfield_"):
                issue.custom[name] = value
            else:
                setattr(issue, name, list(value) if name == "labels" else value)
        issue.updated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def _search(self, request: Request) -> Response:
        body = request.json() or {}
        names = list(body.get("fields") or ["summary", "status"])
        now = time.monotonic()
        candidates = [i for i in self.issues.values() if i.indexed_at <= now]
        try:
            found = run_jql(str(body.get("jql", "")), candidates)
        except JqlError as exc:
            return platform_error(400, [str(exc)])
        limit = min(int(body.get("maxResults") or 50), 5000)
        page = found[:limit]
        issues = [
            {
                "id": i.id,
                "key": i.key,
                "self": f"{self.url}/rest/api/3/issue/{i.id}",
                "fields": render_fields(i, names, self.url, self.issues),
            }
            for i in page
        ]
        return json_response({"issues": issues, "isLast": len(found) <= limit})

    def _get_issue(self, request: Request) -> Response:
        issue = self._issue(request.params["issue"])
        if issue is None:
            return platform_error(404, ["Issue does not exist or you do not have permission to see it."])
        names = [n for n in (request.arg("fields") or "summary,status").split(",") if n]
        return json_response(
            {
                "id": issue.id,
                "key": issue.key,
                "self": f"{self.url}/rest/api/3/issue/{issue.id}",
                "fields": render_fields(issue, names, self.url, self.issues),
            }
        )

    def _edit_issue(self, request: Request) -> Response:
        issue = self._issue(request.params["issue"])
        if issue is None:
            return platform_error(404, ["Issue does not exist or you do not have permission to see it."])
        values = (request.json() or {}).get("fields") or {}
        unknown = {
            n: f"Field '{n}' cannot be set. It is not on the appropriate screen, or unknown."
            for n in values
            if n not in EDITABLE
        }
        problem = self._check_values(values, plain_description=False)
        if unknown or problem:
            field_name, _, message = (problem or "").partition(": ")
            return platform_error(400, [], unknown or {field_name: message})
        self._apply(issue, values)
        return Response(204)

    def _create_issue(self, request: Request) -> Response:
        values = (request.json() or {}).get("fields") or {}
        parent = self._issue(
            str((values.get("parent") or {}).get("id") or (values.get("parent") or {}).get("key") or "")
        )
        if (values.get("issuetype") or {}).get("id") != SUBTASK_TYPE:
            return platform_error(
                400, [], {"issuetype": "Only sub-tasks can be created in this sandbox project."}
            )
        if (values.get("project") or {}).get("key") not in (PROJECT, None) and (
            values.get("project") or {}
        ).get("id") != PROJECT_ID:
            return platform_error(400, [], {"project": "valid project is required"})
        if parent is None:
            return platform_error(
                400, [], {"parentId": "Given parent issue does not belong to appropriate project."}
            )
        if not values.get("summary"):
            return platform_error(400, [], {"summary": "You must specify a summary of the issue."})
        issue = self._new_issue(SUBTASK_TYPE, str(values["summary"]))
        issue.parent = parent.id
        parent.subtasks.append(issue.id)
        return json_response(
            {"id": issue.id, "key": issue.key, "self": f"{self.url}/rest/api/3/issue/{issue.id}"}, 201
        )

    def _transitions(self, request: Request) -> Response:
        issue = self._issue(request.params["issue"])
        if issue is None:
            return platform_error(404, ["Issue does not exist or you do not have permission to see it."])
        listed = [
            {
                "id": tid,
                "name": name,
                "hasScreen": False,
                "isGlobal": False,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
                "to": render_status(self.url, target),
            }
            for tid, name, target, _ in issue.flow[issue.status]
        ]
        return json_response({"expand": "transitions", "transitions": listed})

    def _transition(self, request: Request) -> Response:
        issue = self._issue(request.params["issue"])
        if issue is None:
            return platform_error(404, ["Issue does not exist or you do not have permission to see it."])
        wanted = str(((request.json() or {}).get("transition") or {}).get("id", ""))
        if not self._move(issue, wanted):
            return platform_error(400, [f"Transition id '{wanted}' is not valid for this issue."])
        return Response(204)

    @staticmethod
    def _move(issue: Issue, transition_id: str) -> bool:
        for tid, _, target, resolution in issue.flow[issue.status]:
            if tid == transition_id:
                issue.status = target
                done = STATUSES[target][1] == "done"
                issue.resolution = (resolution or issue.resolution or "Done") if done else None
                return True
        return False
