"""End to end: the hub's outbox delivering to the Jira sandbox, exactly once, then status back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.jira_sm.sandbox import JiraSandbox
from connectors.jira_sm.sink import JiraServiceManagementSink
from core.connector.sink import TicketPayload
from core.hub import Hub
from core.testing.sink_kit import SimulatedCrash, enqueue, hub_ticket, outbox_hub, sample_ticket, unique_key
from core.tickets.outbox import deliver
from core.tickets.status_sync import sync_status


@pytest.fixture
def hub(sandbox: JiraSandbox, tmp_path: Path) -> Iterator[Hub]:
    running = outbox_hub(
        JiraServiceManagementSink, sandbox.instance_config(), f"sqlite:///{tmp_path / 'hub.db'}"
    )
    yield running
    running.close()


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
    enqueue(hub, cancelled, "cancel")
    assert deliver(hub).delivered == 1
    assert issue.status == "Canceled"
    assert issue.comments[-1]["body"] == "Cancelled by the hub: hire rescinded."


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
