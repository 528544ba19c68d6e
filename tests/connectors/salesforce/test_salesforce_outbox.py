"""End to end: the lifecycle's tickets reach Salesforce exactly once through the outbox, across a
crash between the remote upsert and the local record, and the desk's close comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.teams.sandbox import TeamsSandbox
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.pipeline import run_lifecycle
from core.resolve.engine import resolve
from core.sandbox.ca import SandboxCA
from core.store.schema import outbox
from core.testing.sink_kit import leases_expired
from core.tickets.outbox import deliver
from core.tickets.query import list_tickets
from core.tickets.status_sync import sync_status
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage


class WorkerKilled(Exception):
    """The delivering process dies after Salesforce answered, before the hub committed."""


@pytest.fixture
def teams(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[TeamsSandbox]:
    sandbox = TeamsSandbox(seed=7, ca=sandbox_ca, workdir=tmp_path / "teams")
    with sandbox:
        yield sandbox


@pytest.fixture
def hub(org: SalesforceSandbox, teams: TeamsSandbox, sqlite_url: str) -> Iterator[Hub]:
    set_today("2026-03-01")
    hub = make_hub(
        sqlite_url,
        instances=[
            *INSTANCES,
            {"name": "salesforce", "type": "salesforce", "schedule": None, "config": org.instance_config()},
            {"name": "teams", "type": "teams", "schedule": None, "config": teams.instance_config()},
        ],
        tickets={"sink": "salesforce", "notifier": "teams"},
    )
    yield hub
    hub.close()


def _hire(hub: Hub, employee_id: str, hire_date: str) -> None:
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {employee_id: person(employee_id, status="pre_hire", hire_date=hire_date, upn=None)},
    )


def _cards(teams: TeamsSandbox) -> list[tuple[str, str]]:
    return [(m["texts"][0], m["texts"][1]) for m in teams.admin("messages", {}) if m["posted"]]


def test_a_hire_reaches_salesforce_once_across_a_crash_and_its_close_comes_back(
    hub: Hub, org: SalesforceSandbox, teams: TeamsSandbox
) -> None:
    _hire(hub, "E30001", "2026-03-16")
    resolve(hub)
    evaluate(hub)

    def crash(key: str) -> None:
        raise WorkerKilled(key)

    with pytest.raises(WorkerKilled):
        deliver(hub, after_remote=crash)
    [ticket] = list_tickets(hub.store, employee_id="E30001")
    assert ticket["external_id"] is None, "the crash came before the hub recorded the Case"
    assert org.admin("tickets_with_key", {"key": ticket["key"]}) == 1, "Salesforce has the Case already"
    assert _cards(teams) == [], "nothing is announced before the hub has recorded it"

    with leases_expired(hub):  # the killed worker's claim runs out
        summary = deliver(hub)
    assert (summary.delivered, summary.errors) == (1, [])
    assert deliver(hub).delivered == 0
    [ticket] = list_tickets(hub.store, employee_id="E30001")
    case = org.admin("case", {"key": ticket["key"]})
    assert org.admin("tickets_with_key", {"key": ticket["key"]}) == 1
    assert ticket["external_id"] == case["Id"]
    assert ticket["sink"] == "salesforce"
    assert [label for label, _ in _cards(teams)] == ["Ticket opened"]

    _hire(hub, "E30001", "2026-03-23")  # HR moves the start date
    run_lifecycle(hub)
    case = org.admin("case", {"key": ticket["key"]})
    assert case["Hub_Due__c"].startswith("2026-03-23"), "the moved start date reached the Case"
    assert org.admin("tickets_with_key", {"key": ticket["key"]}) == 1

    org.admin("close_case", {"key": ticket["key"]})
    status = sync_status(hub)
    assert (status.changed, status.errors) == (1, [])
    [ticket] = list_tickets(hub.store, employee_id="E30001")
    assert ticket["state"] == "closed"
    assert all(task["state"] == "closed" for task in ticket["tasks"])
    assert [label for label, _ in _cards(teams)] == ["Ticket opened", "Ticket closed"]


def test_a_rescinded_hire_cancels_the_case_with_the_reason(hub: Hub, org: SalesforceSandbox) -> None:
    _hire(hub, "E30002", "2026-03-16")
    run_lifecycle(hub)
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"E30002": person("E30002", status="pre_hire", hire_date="2026-03-16", hire_rescinded=True)},
    )
    run_lifecycle(hub)
    [ticket] = list_tickets(hub.store, employee_id="E30002")
    case: dict[str, Any] = org.admin("case", {"key": ticket["key"]})
    assert (ticket["state"], case["Status"]) == ("cancelled", "Cancelled")
    assert case["comments"] and case["comments"][0].startswith("Cancelled by the hub:")
    with hub.store.engine.connect() as conn:
        assert set(conn.scalars(sa.select(outbox.c.state))) == {"delivered"}
