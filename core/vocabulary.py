"""The hub's typed vocabulary, named once.

Every state, event, ticket field and error kind the hub speaks is a `Literal` here so that the
contract is greppable and mypy checks every use (the way dlt types its schema hints).
"""

from __future__ import annotations

from typing import Literal, get_args

EntityType = Literal["person", "org_unit", "account", "asset", "cloud_account", "cloud_resource", "licence"]
PersonStatus = Literal["pre_hire", "active", "on_leave", "terminated"]
WorkerType = Literal["employee", "contractor", "intern", "temporary", "volunteer"]
EventType = Literal["joiner", "rehire", "mover", "leaver", "leave_start", "leave_return", "conversion"]
#: planned -> ticketed -> done | cancelled | superseded; an event with no ticket to open is done at
#: once, existing staff seen on an initial load are suppressed
EventState = Literal["planned", "ticketed", "done", "cancelled", "superseded", "suppressed"]
OPEN_EVENT_STATES: tuple[EventState, ...] = ("planned", "ticketed")
EmploymentState = Literal["current", "ended", "rescinded"]
TransferNotice = Literal["advance", "on_effective"]
TicketType = Literal["onboarding", "offboarding", "transfer"]
TicketState = Literal["open", "in_progress", "closed", "cancelled"]
TaskState = Literal["open", "closed", "cancelled"]
Priority = Literal["normal", "urgent"]
#: `execute` runs an action (`core/actions/stage.py`) in its ticket's order
OutboxAction = Literal["create", "update", "cancel", "execute"]
OutboxState = Literal["pending", "delivered", "dead"]
RunStatus = Literal["running", "succeeded", "failed", "held", "partial", "abandoned"]
ReadMode = Literal["incremental", "full_snapshot", "delta"]
ErrorKind = Literal["config", "auth", "transient", "record", "fatal", "busy", "not_found"]
#: the store-level stages only one runner may run at a time (`core/store/locks.py`)
Stage = Literal["resolve", "evaluate", "deliver"]
HoldKind = Literal["mass_change", "ticket_storm", "mass_action"]
HoldState = Literal["held", "approved", "rejected", "applied", "superseded"]
#: what the hub may do itself in a connected system (issue 21); executors live with their connectors
ActionKind = Literal[
    "entra.disable_account",
    "entra.revoke_sessions",
    "entra.remove_licences",
    "entra.remove_groups",
    #: a joiner's: the playbook's groups and licences, sent only for what the user lacks
    "entra.add_groups",
    "entra.add_licences",
    "aws.deactivate_access_keys",
    "aws.delete_login_profile",
    "aws.attach_deny_all",
    "azure.tag_owner_left",
    #: reversals of the reversible ones, when a termination is reversed after they ran
    "entra.enable_account",
    "entra.restore_groups",
    "aws.reactivate_access_keys",
]
#: `auto` runs at the due moment, `approve` waits for `hub approve` too, `manual` is a task only
ActionPolicy = Literal["auto", "approve", "manual"]
#: planned (auto, waiting for its due moment) | awaiting_approval -> approved | held (mass-change
#: guard) -> approved; then queued (its execute intent is in the outbox) -> done | failed;
#: cancelled (termination reversed before it ran), rejected, reversed (undone after it ran)
ActionState = Literal[
    "planned",
    "awaiting_approval",
    "approved",
    "held",
    "queued",
    "done",
    "failed",
    "cancelled",
    "rejected",
    "reversed",
]
OPEN_ACTION_STATES: tuple[ActionState, ...] = ("planned", "awaiting_approval", "approved", "held", "queued")
FindingKind = Literal[
    "orphan_account",
    "enabled_after_termination",
    "asset_custodian_terminated",
    "unowned_cloud_resource",
]

FindingSeverity = Literal["high", "medium", "low"]
#: how urgent each finding is: access a leaver still has first, cost and hygiene last
FINDING_SEVERITY: dict[str, FindingSeverity] = {
    "enabled_after_termination": "high",
    "asset_custodian_terminated": "medium",
    "orphan_account": "medium",
    "unowned_cloud_resource": "low",
}
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)
SEVERITIES: tuple[FindingSeverity, ...] = get_args(FindingSeverity)

ENTITY_TYPES: tuple[EntityType, ...] = get_args(EntityType)
PERSON_STATUSES: tuple[PersonStatus, ...] = get_args(PersonStatus)
TICKET_STATES: tuple[TicketState, ...] = get_args(TicketState)
TICKET_TYPES: tuple[TicketType, ...] = get_args(TicketType)
ACTION_KINDS: tuple[ActionKind, ...] = get_args(ActionKind)
ACTION_POLICIES: tuple[ActionPolicy, ...] = get_args(ActionPolicy)
ACTION_STATES: tuple[ActionState, ...] = get_args(ActionState)
