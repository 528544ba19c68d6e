"""End to end: the hub's outbox delivering to the TeamDynamix sandbox (with its real 60 calls per
method per minute), exactly once, then status back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.teamdynamix.sandbox import TeamDynamixSandbox
from connectors.teamdynamix.sink import TeamDynamixSink
from core.connector.sink import TicketPayload
from core.hub import Hub
from core.testing.sink_kit import (
    SimulatedCrash,
    enqueue,
    hub_ticket,
    leases_expired,
    outbox_hub,
    sample_ticket,
    unique_key,
)
from core.tickets.outbox import deliver
from core.tickets.status_sync import sync_status


@pytest.fixture
def hub(sandbox: TeamDynamixSandbox, tmp_path: Path) -> Iterator[Hub]:
    running = outbox_hub(TeamDynamixSink, sandbox.instance_config(), f"sqlite:///{tmp_path / 'hub.db'}")
    yield running
    running.close()


def crash(_key: str) -> None:
    raise SimulatedCrash


def test_a_crash_after_the_remote_create_still_yields_one_ticket_which_then_follows_the_hub(
    sandbox: TeamDynamixSandbox, hub: Hub
) -> None:
    key = unique_key("leaver")
    ticket = sample_ticket(key)
    enqueue(hub, ticket, "create")
    with pytest.raises(SimulatedCrash):
        deliver(hub, after_remote=crash)
    with leases_expired(hub):  # the crashed deliverer's claim runs out
        assert deliver(hub).delivered == 1
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1
    ticket_id = int(hub_ticket(hub, key).external_id)
    assert len(sandbox.tasks[ticket_id]) == 2

    moved: TicketPayload = {**ticket, "due": "2031-04-02T17:00:00+00:00"}
    enqueue(hub, moved, "update")
    assert deliver(hub).delivered == 1
    assert sandbox.tickets[ticket_id]["EndDate"] == "2031-04-02T17:00:00Z"

    enqueue(
        hub,
        {**moved, "state": "cancelled", "description": "x\n\nCancelled by the hub: rehired."},
        "cancel",
        cancel_reason="rehired.",
    )
    assert deliver(hub).delivered == 1
    assert sandbox.tickets[ticket_id]["StatusName"] == "Cancelled"
    assert sandbox.feeds[ticket_id][-1]["Body"] == "Cancelled by the hub: rehired."


def test_a_technician_resolving_the_ticket_closes_it_in_the_hub(
    sandbox: TeamDynamixSandbox, hub: Hub
) -> None:
    key = unique_key("leaver")
    enqueue(hub, sample_ticket(key), "create")
    deliver(hub)
    sandbox.admin("resolve_ticket", {"external_id": hub_ticket(hub, key).external_id})
    assert sync_status(hub).changed == 1
    row = hub_ticket(hub, key)
    assert row.state == "closed" and row.access_removed_at is not None
