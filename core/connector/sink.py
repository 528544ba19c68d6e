"""What a ticket sink promises: tickets exactly once, found again by idempotency key.

The outbox calls `find(key)` before `create()`, so a crash between "created remotely" and
"recorded locally" is healed on the next delivery by finding the ticket instead of creating a
second one. Sinks whose API upserts on an external ID (Salesforce) may make `find` cheap.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar, NotRequired, TypedDict

from core.connector.contracts import Connector
from core.errors import HubError
from core.vocabulary import Priority, TaskState, TicketState, TicketType


class TaskPayload(TypedDict):
    title: str
    state: TaskState


class TicketPayload(TypedDict):
    """What the hub asks a sink to hold. `key` is the idempotency key."""

    key: str
    type: TicketType
    title: str
    description: str
    priority: Priority
    due: str  # ISO 8601 timestamp with offset
    employee_id: str
    person_name: str
    assignment_group: str
    state: TicketState
    tasks: list[TaskPayload]


class RemoteTicket(TypedDict):
    """A ticket as the sink sees it."""

    external_id: str
    state: TicketState
    url: NotRequired[str]


class TicketSink(Connector):
    """Create, update, cancel and read back tickets in an external ITSM tool."""

    #: how long a ticket this sink created may stay invisible to `find` (a lagging search index);
    #: the outbox does not send a create again within this time of the last one it sent
    find_lag_seconds: float = 0.0

    @abstractmethod
    def find(self, key: str) -> RemoteTicket | None:
        """The ticket carrying this idempotency key, or None."""

    @abstractmethod
    def create(self, ticket: TicketPayload) -> RemoteTicket:
        """Open a ticket; the payload's key must be stored with it so `find` sees it."""

    @abstractmethod
    def update(self, external_id: str, ticket: TicketPayload) -> RemoteTicket:
        """Bring an existing ticket in line with the payload (due date, tasks, description)."""

    @abstractmethod
    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        """Cancel (close as not needed) with a reason the service desk can read."""

    @abstractmethod
    def fetch_status(self, external_id: str) -> RemoteTicket:
        """Current state in the external tool, mapped to the hub's ticket states."""

    #: tickets `fetch_statuses` is asked for at a time
    status_batch_size: ClassVar[int] = 50

    def fetch_statuses(self, external_ids: list[str]) -> dict[str, RemoteTicket | HubError]:
        """Current states of many tickets: each id maps to its ticket, or to the error reading
        it. The default reads one by one; a sink whose API can read many in one call overrides."""
        found: dict[str, RemoteTicket | HubError] = {}
        for external_id in external_ids:
            try:
                found[external_id] = self.fetch_status(external_id)
            except HubError as exc:
                found[external_id] = exc
        return found


SinkConnector = TicketSink


class NotificationEvent(TypedDict):
    kind: str  # ticket_opened, ticket_due_soon, ticket_overdue, ticket_closed, run_failed
    title: str
    text: str
    link: NotRequired[str]
    #: a person to reach (a manager's work email or UPN) instead of the channel
    recipient: NotRequired[str]
    #: the ledger key of a card that must be posted once (core.tickets.notify): the notifier
    #: must not re-send it after an ambiguous failure (OutcomeUnknownError instead)
    key: NotRequired[str]


class Notifier(Connector):
    """Sends notifications (Teams, email). A failure here must never block ticket delivery."""

    @abstractmethod
    def notify(self, event: NotificationEvent) -> None:
        """Send one notification; raise HubError on failure (the caller logs and moves on)."""

    def reaches_people(self) -> bool:
        """Whether an event with a `recipient` can be delivered to that person."""
        return False
