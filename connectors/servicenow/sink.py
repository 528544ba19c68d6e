"""ServiceNow ticket sink: one record per hub ticket, found again by `correlation_id`.

Exactly once: `find(key)` queries `correlation_id=<key>` (ServiceNow does not make the field
unique, so the hub queries before it creates); `create` writes the key, then the tasks, then marks
the record complete. A crash in between leaves the record marked "creating", and the next
`find` finishes the tasks from the checklist in the description instead of opening a second one.

Requested items (`sc_req_item`) are ordered through the Service Catalog API (`order_now`), so the
request, the item, its approvals and its fulfilment flow exist as if a person had ordered it; the
key travels in a catalog variable, which `find` also queries (`sc_item_option_mtom`), so an order
whose answer was lost, or a crash before the key reached `correlation_id`, is found, not repeated.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from connectors.servicenow.catalog import CatalogOrders
from connectors.servicenow.client import ServiceNowClient
from connectors.servicenow.config import ServiceNowConfig
from connectors.servicenow.tables import HUB_TO_TASK, TableProfile, profile_for
from core.connector.contracts import CheckResult
from core.connector.sink import RemoteTicket, TaskPayload, TicketPayload, TicketSink
from core.errors import ConfigError, FatalError, HubError
from core.tickets.render import FinishedState, open_tasks, render_description, sync_tasks
from core.vocabulary import TaskState

log = logging.getLogger("hub.sink.servicenow")

TICKET_FIELDS = ["sys_id", "number", "state", "correlation_id", "correlation_display", "description"]
TASK_FIELDS = ["sys_id", "short_description", "state"]
CREATING = " (creating)"
TITLE_MAX, KEY_MAX = 160, 100


def glide_datetime(iso: str) -> str:
    """ServiceNow's API datetime format (UTC, no zone)."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class ServiceNowSink(TicketSink):
    type_name = "servicenow"
    title = "ServiceNow (Table API, Service Catalog)"
    config_model = ServiceNowConfig
    sandbox = "connectors.servicenow.sandbox:ServiceNowSandbox"

    def __init__(self, config: ServiceNowConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.settings = config
        self.profile: TableProfile = profile_for(config)
        self.client = ServiceNowClient(config)
        self.catalog = CatalogOrders(self.client, config)
        self._groups: dict[str, str] = {}

    # -- the contract ---------------------------------------------------------------------
    def check(self) -> CheckResult:
        try:
            self.client.query(self.profile.table, self._key_query("check"), ["sys_id"], limit=1)
            self.client.query(self.profile.task_table, "sys_idISEMPTY", ["sys_id"], limit=1)
        except HubError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(
            True,
            f"{self.profile.table} and {self.profile.task_table} readable at {self.settings.instance_url}",
        )

    def find(self, key: str) -> RemoteTicket | None:
        rows = self.client.query(self.profile.table, self._key_query(key), TICKET_FIELDS, limit=2)
        if not rows and self.settings.catalog_item:
            rows = self._ordered_but_unmarked(key)
        if not rows:
            return None
        if len(rows) > 1:
            log.warning(
                "servicenow: %d %s records carry key %s; using the oldest", len(rows), self.profile.table, key
            )
        record = rows[0]
        if record.get("correlation_display", "").endswith(CREATING):
            record = self._finish_create(record)
        return self._remote(record)

    def create(self, ticket: TicketPayload) -> RemoteTicket:
        values = {
            **self._ticket_fields(ticket),
            "correlation_id": self._checked_key(ticket["key"]),
            "correlation_display": self.settings.correlation_display + CREATING,
            "state": self.profile.new_state,
        }
        if self.settings.caller_id:
            values["caller_id" if self.profile.table == "incident" else "requested_for"] = (
                self.settings.caller_id
            )
        if self.settings.catalog_item:
            record = self._order(ticket, values)
        else:
            record = self.client.insert(self.profile.table, values, TICKET_FIELDS)
        return self._remote(self._finish_create(record, ticket))

    def update(self, external_id: str, ticket: TicketPayload) -> RemoteTicket:
        record = self.client.get(self.profile.table, external_id, TICKET_FIELDS)
        if self.profile.hub_state(record["state"]) in ("closed", "cancelled"):
            log.info("servicenow: %s is already %s; update skipped", record.get("number"), record["state"])
            return self._remote(record)
        record = self.client.patch(
            self.profile.table, external_id, self._ticket_fields(ticket), TICKET_FIELDS
        )
        self._sync_tasks(external_id, ticket["tasks"], ticket)
        return self._remote(record)

    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        record = self.client.get(self.profile.table, external_id, TICKET_FIELDS)
        if self.profile.hub_state(record["state"]) in ("closed", "cancelled"):
            return self._remote(record)
        note = f"Cancelled by the hub: {reason}"
        for task in self._tasks(external_id):
            if self.profile.task_to_hub.get(task["state"], "open") == "open":
                self.client.patch(
                    self.profile.task_table, task["sys_id"], {"state": HUB_TO_TASK["cancelled"]}, TASK_FIELDS
                )
        values = {"state": self.profile.cancel_state, "work_notes": note, "close_notes": note}
        return self._remote(self.client.patch(self.profile.table, external_id, values, TICKET_FIELDS))

    def fetch_status(self, external_id: str) -> RemoteTicket:
        return self._remote(self.client.get(self.profile.table, external_id, TICKET_FIELDS))

    def close(self) -> None:
        self.client.close()

    # -- helpers ---------------------------------------------------------------------------
    def _key_query(self, key: str) -> str:
        key = self._checked_key(key)
        return f"correlation_id={key}^correlation_displaySTARTSWITH{self.settings.correlation_display}^ORDERBYsys_created_on"

    @staticmethod
    def _checked_key(key: str) -> str:
        if "^" in key or "\n" in key or len(key) > KEY_MAX:
            raise FatalError(
                f"servicenow: idempotency key {key!r} cannot be stored in correlation_id",
                hint=f"keys must be at most {KEY_MAX} characters without '^' or line breaks",
            )
        return key

    def _ticket_fields(self, ticket: TicketPayload) -> dict[str, Any]:
        values: dict[str, Any] = {
            "short_description": ticket["title"][:TITLE_MAX],
            "description": render_description(ticket),
            "due_date": glide_datetime(ticket["due"]),
            **self.profile.priority_fields(ticket["priority"]),
        }
        group = ticket["assignment_group"] or self.settings.default_assignment_group
        if group:
            values["assignment_group"] = self._group_id(group)
        return values

    def _order(self, ticket: TicketPayload, values: dict[str, Any]) -> dict[str, Any]:
        """Order the catalog item, then give its requested item the key, mark and ticket fields."""
        item = self.catalog.order(ticket, render_description(ticket), glide_datetime(ticket["due"]))
        fields = {k: v for k, v in values.items() if k not in ("state", "caller_id", "requested_for")}
        return self.client.patch(self.profile.table, item, fields, TICKET_FIELDS)

    def _ordered_but_unmarked(self, key: str) -> list[dict[str, Any]]:
        """An order that carries `key` in its variable but never got the key in correlation_id
        (the answer to order_now was lost, or the hub stopped right after): marked "creating" with
        its details, so the caller finishes it like any interrupted create."""
        found = self.catalog.ordered_item(key)
        if found is None:
            return []
        item, details = found
        log.warning(
            "servicenow: requested item %s was ordered for %s but not marked; finishing it", item, key
        )
        values = {
            "correlation_id": key,
            "correlation_display": self.settings.correlation_display + CREATING,
            "description": details,
        }
        return [self.client.patch(self.profile.table, item, values, TICKET_FIELDS)]

    def _group_id(self, name: str) -> str:
        if name not in self._groups:
            rows = self.client.query("sys_user_group", f"name={name}^active=true", ["sys_id"], limit=1)
            if not rows:
                raise ConfigError(
                    f"servicenow: assignment group {name!r} does not exist or is inactive in sys_user_group",
                    hint="create the group, or change the playbook's assignment_group",
                )
            self._groups[name] = rows[0]["sys_id"]
        return self._groups[name]

    def _finish_create(self, record: dict[str, Any], ticket: TicketPayload | None = None) -> dict[str, Any]:
        """Create the tasks (those not there yet) and mark the record complete."""
        tasks: list[TaskPayload] = (
            [{"title": t["title"], "state": "open"} for t in ticket["tasks"]]
            if ticket
            else open_tasks(record.get("description", ""))
        )
        self._sync_tasks(record["sys_id"], tasks, ticket)
        return self.client.patch(
            self.profile.table,
            record["sys_id"],
            {"correlation_display": self.settings.correlation_display},
            TICKET_FIELDS,
        )

    def _tasks(self, parent: str) -> list[dict[str, Any]]:
        query = f"{self.profile.task_parent_field}={parent}^ORDERBYsys_created_on"
        return self.client.query(self.profile.task_table, query, TASK_FIELDS, limit=500)

    def _sync_tasks(self, parent: str, tasks: list[TaskPayload], ticket: TicketPayload | None) -> None:
        """Tasks in line with the payload (`core.tickets.render.sync_tasks`); new ones get its due."""

        def add(title: str, state: TaskState) -> None:
            values = {
                self.profile.task_parent_field: parent,
                "short_description": title,
                "state": HUB_TO_TASK[state],
            }
            if ticket is not None:
                values["due_date"] = glide_datetime(ticket["due"])
            self.client.insert(self.profile.task_table, values, TASK_FIELDS)

        def finish(task: dict[str, Any], state: FinishedState) -> None:
            self.client.patch(
                self.profile.task_table, task["sys_id"], {"state": HUB_TO_TASK[state]}, TASK_FIELDS
            )

        sync_tasks(
            tasks,
            {t["short_description"]: t for t in self._tasks(parent)},
            title_max=TITLE_MAX,
            is_open=lambda task: self.profile.task_to_hub.get(task["state"], "open") == "open",
            add=add,
            finish=finish,
        )

    def _remote(self, record: dict[str, Any]) -> RemoteTicket:
        return RemoteTicket(
            external_id=record["sys_id"],
            state=self.profile.hub_state(str(record.get("state", ""))),
            url=f"{self.settings.instance_url.rstrip('/')}/{self.profile.table}.do?sys_id={record['sys_id']}",
        )
