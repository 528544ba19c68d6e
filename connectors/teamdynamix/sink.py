"""TeamDynamix ticket sink: a ticket per hub ticket, its tasks as ticket tasks.

Exactly once: the key lives in a text custom attribute; `find(key)` searches on it, confirms the
exact value on each candidate, and finishes a create that a crash cut short (adding the tasks the
description's checklist names). TeamDynamix tasks have no cancelled state: a task the hub
cancels is completed with a "Cancelled by the hub" comment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from connectors.teamdynamix.client import TeamDynamixClient
from connectors.teamdynamix.config import TeamDynamixConfig
from core.connector.contracts import CheckResult
from core.connector.sink import RemoteTicket, TaskPayload, TicketPayload, TicketSink
from core.errors import ConfigError, HubError
from core.tickets.render import FinishedState, open_tasks, render_description, sync_tasks
from core.vocabulary import TaskState, TicketState

log = logging.getLogger("hub.sink.teamdynamix")

#: TeamDynamix.Api.Statuses.StatusClass -> hub state
STATUS_CLASSES: dict[int, TicketState] = {
    0: "open",  # None
    1: "open",  # New
    2: "in_progress",  # In Process
    3: "closed",  # Completed
    4: "cancelled",  # Cancelled
    5: "in_progress",  # On Hold
    6: "open",  # Requested
}
#: CustomAttributeComponent.Ticket (https://solutions.teamdynamix.com/TDWebApi/Home/member/TeamDynamix.Api.CustomAttributes.CustomAttributeComponent.Ticket)
TICKET_COMPONENT = 9
NO_NOTIFY = {
    "EnableNotifyReviewer": "false",
    "NotifyRequestor": "false",
    "NotifyResponsible": "false",
    "AllowRequestorCreation": "false",
}


def tdx_datetime(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TeamDynamixSink(TicketSink):
    type_name = "teamdynamix"
    title = "TeamDynamix (Web API)"
    config_model = TeamDynamixConfig
    sandbox = "connectors.teamdynamix.sandbox:TeamDynamixSandbox"

    def __init__(self, config: TeamDynamixConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.settings = config
        self.client = TeamDynamixClient(config)
        self.app = f"/api/{config.app_id}"
        self._statuses: dict[int, dict[str, Any]] | None = None
        self._groups: dict[str, int] = {}

    def check(self) -> CheckResult:
        try:
            self.statuses()
            # ticket attributes belong to one ticketing application: without appId TeamDynamix
            # lists only attributes of no application, so the key attribute would look missing
            # (GET api/attributes/custom?componentId&associatedTypeId&appId,
            # https://solutions.teamdynamix.com/TDWebApi/Home/section/Attributes)
            attributes = self.client.call(
                "GET",
                "/api/attributes/custom",
                params={"componentId": TICKET_COMPONENT, "appId": self.settings.app_id},
            )
        except HubError as exc:
            return CheckResult(False, str(exc))
        if not any(a["ID"] == self.settings.key_attribute_id for a in attributes):
            return CheckResult(
                False,
                f"teamdynamix: ticket attribute {self.settings.key_attribute_id} (the hub key) does not exist "
                f"in ticketing app {self.settings.app_id}",
                {"hint": "create a text ticket attribute in that app and set key_attribute_id"},
            )
        return CheckResult(True, f"ticketing app {self.settings.app_id} usable at {self.settings.base_url}")

    # -- the contract ---------------------------------------------------------------------
    def find(self, key: str) -> RemoteTicket | None:
        search = {
            "MaxResults": 10,
            "CustomAttributes": [{"ID": self.settings.key_attribute_id, "Value": key}],
        }
        for listing in sorted(
            self.client.call("POST", f"{self.app}/tickets/search", json=search, idempotent=True),
            key=lambda t: t["ID"],
        ):
            ticket = self.client.call("GET", f"{self.app}/tickets/{listing['ID']}")
            if self._key_of(ticket) == key:
                self._sync_tasks(ticket["ID"], open_tasks(ticket.get("Description") or ""), None)
                return self._remote(ticket)
        return None

    def create(self, ticket: TicketPayload) -> RemoteTicket:
        body: dict[str, Any] = {
            "TypeID": self.settings.type_id,
            "FormID": self.settings.form_id,
            "Title": ticket["title"][:500],
            "Description": render_description(ticket),
            "AccountID": self.settings.account_id,
            "StatusID": self._status_id("new"),
            "PriorityID": self._priority(ticket),
            "RequestorUid": self.settings.requestor_uid,
            "EndDate": tdx_datetime(ticket["due"]),
            "Attributes": [{"ID": self.settings.key_attribute_id, "Value": ticket["key"]}],
        }
        group = self._group_id(ticket["assignment_group"] or self.settings.default_group)
        if group is not None:
            body["ResponsibleGroupID"] = group
        created = self.client.call("POST", f"{self.app}/tickets", params=NO_NOTIFY, json=body)
        self._sync_tasks(created["ID"], ticket["tasks"], [], ticket)
        return self._remote(created)

    def update(self, external_id: str, ticket: TicketPayload) -> RemoteTicket:
        current = self.fetch_status(external_id)
        if current["state"] in ("closed", "cancelled"):
            return current
        patch = [
            {"op": "replace", "path": "/Title", "value": ticket["title"][:500]},
            {"op": "replace", "path": "/Description", "value": render_description(ticket)},
            {"op": "replace", "path": "/EndDate", "value": tdx_datetime(ticket["due"])},
            {"op": "replace", "path": "/PriorityID", "value": self._priority(ticket)},
        ]
        updated = self.client.call(
            "PATCH", f"{self.app}/tickets/{external_id}", params={"notifyNewResponsible": "false"}, json=patch
        )
        self._sync_tasks(int(external_id), ticket["tasks"], None, ticket)
        return self._remote(updated)

    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        current = self.fetch_status(external_id)
        if current["state"] in ("closed", "cancelled"):
            return current
        for task in self._tasks(int(external_id)):
            if task["PercentComplete"] < 100:
                self._complete(int(external_id), task["ID"], "Cancelled by the hub: not needed")
        entry = {
            "NewStatusID": self._status_id("cancelled"),
            "Comments": f"Cancelled by the hub: {reason}",
            "IsPrivate": True,
            "Notify": [],
        }
        self.client.call("POST", f"{self.app}/tickets/{external_id}/feed", json=entry)
        return self.fetch_status(external_id)

    def fetch_status(self, external_id: str) -> RemoteTicket:
        return self._remote(self.client.call("GET", f"{self.app}/tickets/{external_id}"))

    def close(self) -> None:
        self.client.close()

    # -- helpers ---------------------------------------------------------------------------
    def statuses(self) -> dict[int, dict[str, Any]]:
        if self._statuses is None:
            listed = self.client.call("GET", f"{self.app}/tickets/statuses")
            self._statuses = {s["ID"]: s for s in listed}
        return self._statuses

    def _status_id(self, which: str) -> int:
        configured = self.settings.new_status_id if which == "new" else self.settings.cancelled_status_id
        if configured is not None:
            return configured
        wanted = 1 if which == "new" else 4
        active = [s for s in self.statuses().values() if s["StatusClass"] == wanted and s["IsActive"]]
        active.sort(key=lambda s: (not s.get("IsDefault", False), s.get("Order", 0)))
        if not active:
            raise ConfigError(
                f"teamdynamix: app {self.settings.app_id} has no active {which} status",
                hint=f"set {which}_status_id",
            )
        return int(active[0]["ID"])

    def _priority(self, ticket: TicketPayload) -> int:
        try:
            return self.settings.priority_ids[ticket["priority"]]
        except KeyError:
            raise ConfigError(
                f"teamdynamix: no priority ID for hub priority {ticket['priority']!r}",
                hint="add it to priority_ids",
            ) from None

    def _group_id(self, name: str | None) -> int | None:
        if not name:
            return None
        if name not in self._groups:
            found = self.client.call(
                "POST", "/api/groups/search", json={"NameLike": name, "IsActive": True}, idempotent=True
            )
            exact = [g for g in found if g["Name"] == name]
            if not exact:
                raise ConfigError(
                    f"teamdynamix: responsible group {name!r} does not exist or is inactive",
                    hint="create the group in TDAdmin, or change the playbook's assignment_group",
                )
            self._groups[name] = int(exact[0]["ID"])
        return self._groups[name]

    def _key_of(self, ticket: dict[str, Any]) -> str | None:
        for attribute in ticket.get("Attributes") or []:
            if attribute["ID"] == self.settings.key_attribute_id:
                return str(attribute.get("Value") or "")
        return None

    def _tasks(self, ticket_id: int) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = self.client.call("GET", f"{self.app}/tickets/{ticket_id}/tasks")
        return tasks

    def _complete(self, ticket_id: int, task_id: int, comment: str) -> None:
        entry = {"PercentComplete": 100, "Comments": comment, "IsPrivate": True, "Notify": []}
        self.client.call("POST", f"{self.app}/tickets/{ticket_id}/tasks/{task_id}/feed", json=entry)

    def _sync_tasks(
        self,
        ticket_id: int,
        tasks: list[TaskPayload],
        existing: list[dict[str, Any]] | None,
        ticket: TicketPayload | None = None,
    ) -> None:
        """Tasks in line with the payload (`core.tickets.render.sync_tasks`); TeamDynamix has no
        cancelled task state, so a finished task is completed with a comment saying which."""

        def finish(task: dict[str, Any], state: FinishedState) -> None:
            note = "Completed by the hub" if state == "closed" else "Cancelled by the hub: not needed"
            self._complete(ticket_id, task["ID"], note)

        def add(title: str, state: TaskState) -> None:
            body: dict[str, Any] = {"Title": title}
            if ticket is not None:
                body["EndDate"] = tdx_datetime(ticket["due"])
            created = self.client.call("POST", f"{self.app}/tickets/{ticket_id}/tasks", json=body)
            if state != "open" and created["PercentComplete"] < 100:
                finish(created, state)

        sync_tasks(
            tasks,
            {t["Title"]: t for t in (self._tasks(ticket_id) if existing is None else existing)},
            title_max=300,
            is_open=lambda task: task["PercentComplete"] < 100,
            add=add,
            finish=finish,
        )

    def _remote(self, ticket: dict[str, Any]) -> RemoteTicket:
        status_class = ticket.get("StatusClass")
        if status_class is None:
            status_class = self.statuses().get(ticket["StatusID"], {}).get("StatusClass", 0)
        root = self.settings.base_url.rstrip("/").removesuffix("/TDWebApi")
        return RemoteTicket(
            external_id=str(ticket["ID"]),
            state=STATUS_CLASSES.get(int(status_class), "in_progress"),
            url=f"{root}/TDNext/Apps/{self.settings.app_id}/Tickets/TicketDet?TicketID={ticket['ID']}",
        )
