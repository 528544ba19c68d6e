"""What each ServiceNow ticket table means: its state choices, its task table, its priority fields.

ServiceNow stores states as choice values ("1", "6", "-5"); the hub speaks `TicketState`. The
defaults are the out-of-box choices; an instance with custom choices sets `state_map`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.servicenow.config import ServiceNowConfig
from core.errors import ConfigError
from core.vocabulary import Priority, TaskState, TicketState

#: sc_task / incident_task out-of-box states (task table family)
TASK_TO_HUB: dict[str, TaskState] = {
    "-5": "open",
    "1": "open",
    "2": "open",
    "3": "closed",
    "4": "cancelled",
    "7": "cancelled",
}
HUB_TO_TASK: dict[TaskState, str] = {"open": "1", "closed": "3", "cancelled": "7"}


@dataclass(frozen=True)
class TableProfile:
    table: str
    to_hub: dict[str, TicketState]
    new_state: str
    cancel_state: str
    task_table: str
    task_parent_field: str
    urgency_impact: bool = False  # incident: priority is computed from urgency and impact
    task_to_hub: dict[str, TaskState] = field(default_factory=lambda: dict(TASK_TO_HUB))

    def hub_state(self, value: str) -> TicketState:
        """The hub state of a remote state value; unknown custom states count as in progress."""
        return self.to_hub.get(value, "in_progress")

    def priority_fields(self, priority: Priority) -> dict[str, str]:
        if self.urgency_impact:
            return (
                {"urgency": "1", "impact": "2"} if priority == "urgent" else {"urgency": "3", "impact": "3"}
            )
        return {"priority": "2" if priority == "urgent" else "4"}


INCIDENT_STATES: dict[str, TicketState] = {
    "1": "open",  # New
    "2": "in_progress",  # In Progress
    "3": "in_progress",  # On Hold
    "6": "closed",  # Resolved
    "7": "closed",  # Closed
    "8": "cancelled",  # Canceled
}
TASK_FAMILY_STATES: dict[str, TicketState] = {
    "-5": "open",  # Pending
    "1": "open",  # Open
    "2": "in_progress",  # Work in Progress
    "3": "closed",  # Closed Complete
    "4": "cancelled",  # Closed Incomplete
    "7": "cancelled",  # Closed Skipped
}


def profile_for(config: ServiceNowConfig) -> TableProfile:
    """The table profile the config selects; custom tables must name their task table."""
    if config.table == "incident":
        base = TableProfile("incident", INCIDENT_STATES, "1", "8", "incident_task", "incident", True)
    elif config.table == "sc_req_item":
        base = TableProfile("sc_req_item", TASK_FAMILY_STATES, "1", "4", "sc_task", "request_item")
    else:
        if not (config.task_table and config.task_parent_field and config.state_map):
            raise ConfigError(
                f"servicenow table {config.table!r} is not incident or sc_req_item",
                hint="set task_table, task_parent_field, state_map and cancel_state for a custom table",
            )
        base = TableProfile(
            config.table, TASK_FAMILY_STATES, "1", "4", config.task_table, config.task_parent_field
        )
    return TableProfile(
        table=base.table,
        to_hub=dict(config.state_map) if config.state_map else base.to_hub,
        new_state=base.new_state,
        cancel_state=config.cancel_state or base.cancel_state,
        task_table=config.task_table or base.task_table,
        task_parent_field=config.task_parent_field or base.task_parent_field,
        urgency_impact=base.urgency_impact,
    )
