"""End to end: the hub's outbox delivering to the ServiceNow sandbox, exactly once, then status back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.servicenow.sandbox import ServiceNowSandbox
from connectors.servicenow.sink import ServiceNowSink
from core.connector.sink import TicketPayload
from core.hub import Hub
from core.sandbox.faults import AppliedThenError, ServerError
from core.store.schema import outbox
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
def hub(sandbox: ServiceNowSandbox, tmp_path: Path) -> Iterator[Hub]:
    running = outbox_hub(
        ServiceNowSink, {**sandbox.instance_config(), "max_retries": 1}, f"sqlite:///{tmp_path / 'hub.db'}"
    )
    yield running
    running.close()
    sandbox.faults.clear()


def crash(_key: str) -> None:
    raise SimulatedCrash


def incident(sandbox: ServiceNowSandbox, key: str) -> dict[str, Any]:
    [record] = sandbox.store.query("incident", f"correlation_id={key}")
    return record


def intents(hub: Hub) -> list[tuple[str, str, int]]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(outbox.c.action, outbox.c.state, outbox.c.attempts).order_by(outbox.c.id)
        )
        return [(r.action, r.state, r.attempts) for r in rows]


def test_a_crash_after_the_remote_create_still_yields_one_incident_which_then_follows_the_hub(
    sandbox: ServiceNowSandbox, hub: Hub
) -> None:
    key = unique_key("leaver")
    ticket = sample_ticket(key)
    enqueue(hub, ticket, "create")
    with pytest.raises(SimulatedCrash):
        deliver(hub, after_remote=crash)
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1, "created remotely"
    assert hub_ticket(hub, key).external_id is None, "but never recorded"

    with leases_expired(hub):  # the crashed deliverer's claim runs out
        assert deliver(hub).delivered == 1
    record = incident(sandbox, key)
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1
    assert hub_ticket(hub, key).external_id == record["sys_id"]

    moved: TicketPayload = {**ticket, "due": "2031-03-21T17:00:00+00:00"}
    enqueue(hub, moved, "update")
    assert deliver(hub).delivered == 1
    assert incident(sandbox, key)["due_date"] == "2031-03-21 17:00:00"
    assert hub_ticket(hub, key).url.endswith(f"incident.do?sys_id={record['sys_id']}")

    cancelled: TicketPayload = {
        **moved,
        "state": "cancelled",
        "description": moved["description"] + "\n\nCancelled by the hub: termination reversed in Workday.",
        "tasks": [{**t, "state": "cancelled"} for t in moved["tasks"]],
    }
    enqueue(hub, cancelled, "cancel", cancel_reason="termination reversed in Workday.")
    assert deliver(hub).delivered == 1
    record = incident(sandbox, key)
    assert record["state"] == "8"
    assert "termination reversed in Workday." in " ".join(
        sandbox.admin("describe_ticket", {"external_id": record["sys_id"]})["notes"]
    )
    tasks = sandbox.store.query("incident_task", f"incident={record['sys_id']}")
    assert {t["state"] for t in tasks} == {"7"}, "open tasks are closed skipped with the ticket"
    assert [state for _, state, _ in intents(hub)] == ["delivered"] * 3


def test_the_desk_resolving_an_offboarding_closes_it_in_the_hub(sandbox: ServiceNowSandbox, hub: Hub) -> None:
    key = unique_key("leaver")
    enqueue(hub, sample_ticket(key), "create")
    deliver(hub)
    sandbox.admin("resolve_ticket", {"external_id": hub_ticket(hub, key).external_id})
    summary = sync_status(hub)
    assert (summary.changed, summary.errors) == (1, [])
    row = hub_ticket(hub, key)
    assert row.state == "closed" and row.access_removed_at is not None
    assert {t["state"] for t in row.tasks} == {"closed"}


def test_an_outage_leaves_the_intent_pending_and_the_next_pass_delivers_once(
    sandbox: ServiceNowSandbox, hub: Hub
) -> None:
    key = unique_key("joiner")
    enqueue(hub, sample_ticket(key), "create")
    sandbox.arm(ServerError(path=r"^/api/now/table/incident$", times=10))
    summary = deliver(hub)
    assert (summary.delivered, summary.failed) == (0, 1)
    assert "503" in summary.errors[0]
    assert intents(hub) == [("create", "pending", 1)]
    sandbox.faults.clear()
    assert deliver(hub).delivered == 1
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1


def test_rejected_credentials_stop_the_pass_at_the_first_intent_without_showing_the_password(
    sandbox: ServiceNowSandbox, tmp_path: Path
) -> None:
    config = {**sandbox.instance_config(), "auth": "basic", "password": "Wrong-pass-123"}
    hub = outbox_hub(ServiceNowSink, config, f"sqlite:///{tmp_path / 'bad.db'}")
    try:
        enqueue(hub, sample_ticket(unique_key("leaver")), "create")
        enqueue(hub, sample_ticket(unique_key("joiner")), "create")
        summary = deliver(hub)
        assert summary.failed == 1 and "credentials rejected" in summary.errors[0]
        assert summary.deferred == 1, "the sink refused the hub: the other intent is not tried this pass"
        assert "Wrong-pass-123" not in summary.errors[0]
        assert intents(hub) == [("create", "pending", 1), ("create", "pending", 0)]
        with hub.store.engine.connect() as conn:
            assert "Wrong-pass-123" not in str(conn.execute(sa.select(outbox.c.last_error)).all())
    finally:
        hub.close()


def test_an_incident_the_instance_created_but_answered_502_for_is_not_opened_twice(
    sandbox: ServiceNowSandbox, hub: Hub
) -> None:
    """The story of issue 16: ServiceNow applied the POST, a gateway answered 502, the hub sent it
    again, and two incidents carried one correlation ID. Now the answer is an unknown outcome and
    the next pass finds the incident by its correlation ID."""
    key = unique_key("joiner")
    enqueue(hub, sample_ticket(key), "create")
    sandbox.arm(AppliedThenError(path=r"^/api/now/table/incident$", method="POST", times=1))
    first = deliver(hub)
    assert (first.delivered, first.failed) == (0, 1)
    assert "may or may not have been applied" in first.errors[0]
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1, "applied once, not re-sent"
    assert deliver(hub).delivered == 1
    assert sandbox.admin("tickets_with_key", {"key": key}) == 1
    assert hub_ticket(hub, key).external_id == incident(sandbox, key)["sys_id"]
