"""End to end: the hub's outbox delivering to the Jira sandbox, exactly once, then status back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.jira_sm.sandbox import JiraSandbox
from connectors.jira_sm.sink import JiraServiceManagementSink
from core.connector.sink import TicketPayload
from core.hub import Hub
from core.sandbox import fake_clock
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
def hub(sandbox: JiraSandbox, tmp_path: Path) -> Iterator[Hub]:
    running = outbox_hub(
        JiraServiceManagementSink, sandbox.instance_config(), f"sqlite:///{tmp_path / 'hub.db'}"
    )
    yield running
    running.close()


@pytest.fixture
def real_clock_after() -> Iterator[None]:
    """Tests that move the hub clock hand the system clock back to the next test."""
    yield
    fake_clock.set_now(None)


def crash(_key: str) -> None:
    raise SimulatedCrash


def test_a_crash_after_the_remote_create_still_yields_one_request_which_then_follows_the_hub(
    sandbox: JiraSandbox, hub: Hub
) -> None:
    key = unique_key("joiner")
    ticket = sample_ticket(key)
    enqueue(hub, ticket, "create")
    with pytest.raises(SimulatedCrash):
        deliver(hub, after_remote=crash)
    assert hub_ticket(hub, key).external_id is None
    with leases_expired(hub):  # the crashed deliverer's claim runs out
        assert deliver(hub).delivered == 1
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1
    issue = sandbox.issues[hub_ticket(hub, key).external_id]
    assert len(issue.subtasks) == 2, "the redelivery did not add sub-tasks twice"

    moved: TicketPayload = {**ticket, "due": "2031-03-28T17:00:00+00:00"}
    enqueue(hub, moved, "update")
    assert deliver(hub).delivered == 1
    assert issue.duedate == "2031-03-28"
    assert hub_ticket(hub, key).url == f"{sandbox.url}/browse/{issue.key}"

    cancelled: TicketPayload = {
        **moved,
        "state": "cancelled",
        "description": moved["description"] + "\n\nCancelled by the hub: hire rescinded.",
    }
    enqueue(hub, cancelled, "cancel", cancel_reason="hire rescinded.")
    assert deliver(hub).delivered == 1
    assert issue.status == "Canceled"
    assert issue.comments[-1]["body"] == "Cancelled by the hub: hire rescinded."


def test_a_redelivery_inside_the_search_lag_waits_instead_of_opening_a_second_request(
    sandbox: JiraSandbox, hub: Hub, real_clock_after: None
) -> None:
    """Jira's JQL index can miss a request created seconds ago: a redelivery right after a crash
    would find nothing and create it again. The outbox waits out the sink's declared lag."""
    sandbox.admin("set_search_lag", {"seconds": 1.0})
    key = unique_key("joiner")
    enqueue(hub, sample_ticket(key), "create")
    with pytest.raises(SimulatedCrash):
        deliver(hub, after_remote=crash)

    with leases_expired(hub):  # 11 s later: the claim is free, search cannot see the request yet
        waiting = deliver(hub)
    assert (waiting.delivered, waiting.deferred, waiting.errors) == (0, 1, [])
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1, "no second request inside the lag"

    time.sleep(1.1)  # Jira's index catches up
    fake_clock.advance(timedelta(seconds=61))  # and the sink's 60 s lag has passed for the hub
    assert deliver(hub).delivered == 1
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1
    assert hub_ticket(hub, key).external_id is not None, "found, not created again"


def test_an_agent_closing_the_request_closes_the_hub_ticket(sandbox: JiraSandbox, hub: Hub) -> None:
    key = unique_key("leaver")
    enqueue(hub, sample_ticket(key), "create")
    deliver(hub)
    sandbox.admin("start_work", {"external_id": hub_ticket(hub, key).external_id})
    assert sync_status(hub).changed == 1
    assert hub_ticket(hub, key).state == "in_progress"
    sandbox.admin("close_ticket", {"external_id": hub_ticket(hub, key).external_id})
    assert sync_status(hub).changed == 1
    row = hub_ticket(hub, key)
    assert row.state == "closed" and row.access_removed_at is not None
