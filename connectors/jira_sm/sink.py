"""Jira Service Management ticket sink: a customer request per hub ticket, sub-tasks for its tasks.

Exactly once: Jira has no idempotency key on create, so the key is stored on the request (a
label `hub-<key>` or a text custom field) and `find(key)` runs a JQL search before every create.
`find` also finishes a create a crash cut short, adding the sub-tasks the description's checklist
names. Caveat: Jira's search index is eventually consistent, so a redelivery within seconds of a
lost create could miss it; the outbox redelivers on a later pass, not immediately.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from connectors.jira_sm.client import JiraClient, adf_text, to_adf
from connectors.jira_sm.config import JiraServiceManagementConfig
from core.connector.contracts import CheckResult
from core.connector.sink import RemoteTicket, TaskPayload, TicketPayload, TicketSink
from core.errors import FatalError, HubError
from core.tickets.render import FinishedState, open_tasks, render_description, sync_tasks
from core.vocabulary import TaskState, TicketState

log = logging.getLogger("hub.sink.jira_sm")

STATUS_FIELDS = ["status", "resolution"]


def jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def due_date(iso: str) -> str:
    """Jira keeps a due *date*; the hub's due instant is taken in UTC."""
    return datetime.fromisoformat(iso).astimezone(UTC).date().isoformat()


class JiraServiceManagementSink(TicketSink):
    type_name = "jira_sm"
    title = "Jira Service Management (Cloud)"
    config_model = JiraServiceManagementConfig
    sandbox = "connectors.jira_sm.sandbox:JiraSandbox"

    def __init__(self, config: JiraServiceManagementConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.settings = config
        self.client = JiraClient(config)
        self.find_lag_seconds = config.search_lag_seconds

    def check(self) -> CheckResult:
        s = self.settings
        try:
            request_type = self.client.http.get_json(
                f"/rest/servicedeskapi/servicedesk/{s.service_desk_id}/requesttype/{s.request_type_id}"
            )
            self.client.search(f"project = {jql_string(s.project_key)}", ["status"], max_results=1)
        except HubError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(
            True, f"request type {request_type.get('name')!r} of {s.project_key} usable at {s.site_url}"
        )

    # -- the contract ---------------------------------------------------------------------
    def find(self, key: str) -> RemoteTicket | None:
        s = self.settings
        fields = [*STATUS_FIELDS, s.key_field, "description", "subtasks"]
        jql = f"project = {jql_string(s.project_key)} AND {self._key_clause(key)} ORDER BY created ASC"
        issues = [i for i in self.client.search(jql, fields) if self._carries(i, key)]
        if not issues:
            return None
        if len(issues) > 1:
            log.warning("jira_sm: %d issues carry key %s; using the oldest", len(issues), key)
        issue = issues[0]
        tasks = open_tasks(adf_text(issue["fields"].get("description")))
        self._sync_tasks(issue["id"], tasks, issue["fields"]["subtasks"])
        return self._remote(issue)

    def create(self, ticket: TicketPayload) -> RemoteTicket:
        s = self.settings
        values: dict[str, Any] = {
            "summary": ticket["title"][:255],
            "description": render_description(ticket),
            "duedate": due_date(ticket["due"]),
        }
        if s.key_field == "labels":
            values["labels"] = [self._label(ticket["key"])]
        else:
            values[s.key_field] = ticket["key"]
        if s.priority_ids and ticket["priority"] in s.priority_ids:
            values["priority"] = {"id": s.priority_ids[ticket["priority"]]}
        body: dict[str, Any] = {
            "serviceDeskId": s.service_desk_id,
            "requestTypeId": s.request_type_id,
            "requestFieldValues": values,
        }
        if s.raise_on_behalf_of:
            body["raiseOnBehalfOf"] = s.raise_on_behalf_of
        created = self.client.create_request(body)
        self._sync_tasks(created["issueId"], ticket["tasks"], [])
        category = str(created["currentStatus"]["statusCategory"]).lower()
        state = self._state(category, created["currentStatus"]["status"], None)
        return RemoteTicket(external_id=created["issueId"], state=state, url=self._url(created["issueKey"]))

    def update(self, external_id: str, ticket: TicketPayload) -> RemoteTicket:
        current = self.fetch_status(external_id)
        if current["state"] in ("closed", "cancelled"):
            return current
        fields: dict[str, Any] = {
            "summary": ticket["title"][:255],
            "description": to_adf(render_description(ticket)),
            "duedate": due_date(ticket["due"]),
        }
        if self.settings.priority_ids and ticket["priority"] in self.settings.priority_ids:
            fields["priority"] = {"id": self.settings.priority_ids[ticket["priority"]]}
        self.client.edit(external_id, fields)
        self._sync_tasks(external_id, ticket["tasks"], None)
        return self.fetch_status(external_id)

    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        current = self.fetch_status(external_id)
        if current["state"] in ("closed", "cancelled"):
            return current
        self.client.comment(external_id, f"Cancelled by the hub: {reason}")
        for subtask in self._subtasks(external_id):
            if subtask["fields"]["status"]["statusCategory"]["key"] != "done":
                self._move(subtask["id"], "cancelled")
        self._move(external_id, "cancelled")
        return self.fetch_status(external_id)

    def fetch_status(self, external_id: str) -> RemoteTicket:
        return self._remote(self.client.issue(external_id, STATUS_FIELDS))

    def close(self) -> None:
        self.client.close()

    # -- helpers ---------------------------------------------------------------------------
    def _label(self, key: str) -> str:
        label = f"{self.settings.label_prefix}{key}"
        if any(ch.isspace() for ch in label) or len(label) > 255:
            raise FatalError(
                f"jira_sm: idempotency key {key!r} cannot be a Jira label",
                hint="labels hold at most 255 characters without spaces; use a text custom field as key_field",
            )
        return label

    def _key_clause(self, key: str) -> str:
        if self.settings.key_field == "labels":
            return f"labels = {jql_string(self._label(key))}"
        field_id = self.settings.key_field.removeprefix("customfield_")
        return f"cf[{field_id}] ~ {jql_string(jql_string(key))}"  # phrase search, then exact filter

    def _carries(self, issue: dict[str, Any], key: str) -> bool:
        value = issue["fields"].get(self.settings.key_field)
        if self.settings.key_field == "labels":
            return self._label(key) in (value or [])
        return value == key

    def _subtasks(self, issue_id: str) -> list[dict[str, Any]]:
        subtasks: list[dict[str, Any]] = self.client.issue(issue_id, ["subtasks"])["fields"]["subtasks"]
        return subtasks

    def _sync_tasks(
        self, issue_id: str, tasks: list[TaskPayload], existing: list[dict[str, Any]] | None
    ) -> None:
        """Sub-tasks in line with the payload (`core.tickets.render.sync_tasks`)."""

        def add(title: str, state: TaskState) -> None:
            created = self.client.create_issue(
                {
                    "project": {"key": self.settings.project_key},
                    "parent": {"id": issue_id},
                    "issuetype": {"id": self.settings.subtask_issue_type_id},
                    "summary": title,
                }
            )
            if state != "open":
                self._move(created["id"], state)

        sync_tasks(
            tasks,
            {t["fields"]["summary"]: t for t in (self._subtasks(issue_id) if existing is None else existing)},
            title_max=255,
            is_open=lambda subtask: subtask["fields"]["status"]["statusCategory"]["key"] != "done",
            add=add,
            finish=lambda subtask, state: self._move(subtask["id"], state),
        )

    def _move(self, issue_id: str, want: FinishedState) -> None:
        """Transition to a done status: a cancelled one (by name) for `cancelled`, another for `closed`."""
        cancelled = {name.lower() for name in self.settings.cancelled_statuses}
        for transition in self.client.transitions(issue_id):
            target = transition["to"]
            if target["statusCategory"]["key"] == "done" and (target["name"].lower() in cancelled) == (
                want == "cancelled"
            ):
                self.client.transition(issue_id, transition["id"])
                return
        raise FatalError(
            f"jira_sm: issue {issue_id} has no transition to a {want} status",
            hint="add one to the workflow, or list its status name in cancelled_statuses",
        )

    def _state(self, category: str, status: str, resolution: str | None) -> TicketState:
        if category == "new":
            return "open"
        if category != "done":
            return "in_progress"
        cancelled = status.lower() in {n.lower() for n in self.settings.cancelled_statuses} or (
            resolution is not None
            and resolution.lower() in {n.lower() for n in self.settings.cancelled_resolutions}
        )
        return "cancelled" if cancelled else "closed"

    def _remote(self, issue: dict[str, Any]) -> RemoteTicket:
        status = issue["fields"]["status"]
        resolution = issue["fields"].get("resolution")
        state = self._state(
            status["statusCategory"]["key"], status["name"], resolution["name"] if resolution else None
        )
        return RemoteTicket(external_id=issue["id"], state=state, url=self._url(issue["key"]))

    def _url(self, issue_key: str) -> str:
        return f"{self.settings.site_url.rstrip('/')}/browse/{issue_key}"
