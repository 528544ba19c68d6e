"""A fact the person's record lacks reads, at every desk, as something a technician can act on:
the leaver playbook's `Last day of work: {last_day_of_work}.` used to reach ServiceNow, Jira,
TeamDynamix, Salesforce and the built-in desk as `Last day of work: -.`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from connectors.salesforce.cases import description as salesforce_description
from core.cli.app import _register_subcommands, app
from core.connector.sink import TicketPayload
from core.pipeline import run_lifecycle
from core.store.schema import tickets
from core.tickets.render import checklist, readable, render_description
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage

_register_subcommands()


def leaver_ticket(store_url: str, **fields: Any) -> TicketPayload:
    """The offboarding ticket the shipped leaver playbook writes for E1, as the outbox sends it."""
    set_today("2026-03-10")
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1")})
    run_lifecycle(hub)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", status="terminated", **fields)})
    run_lifecycle(hub)
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.type == "offboarding")).one()
    hub.close()
    return {
        "key": row.key,
        "type": row.type,
        "title": row.title,
        "description": row.description,
        "employee_id": row.employee_id,
        "priority": row.priority,
        "due": row.due_at.isoformat(),
        "state": row.state,
        "assignment_group": row.assignment_group,
        "tasks": [{"title": "Disable the account", "state": "open"}],
    }  # type: ignore[typeddict-item]


def test_an_unknown_last_day_reads_as_what_to_do_at_every_desk(tmp_path: Path, sqlite_url: str) -> None:
    ticket = leaver_ticket(sqlite_url, termination_date="2026-03-12")
    assert "Last day of work: -." in ticket["description"], "the playbook had no value to put there"
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({"store": {"url": sqlite_url}, "instances": INSTANCES}))
    builtin = CliRunner().invoke(
        app, ["tickets", "show", "E1", "--config", str(path)], env={"COLUMNS": "300"}
    )
    shown = {
        "ServiceNow, Jira, TeamDynamix": render_description(ticket),
        "Salesforce": salesforce_description(ticket),
        # as the terminal wrapped it, joined again
        "built-in desk (hub tickets show)": " ".join(builtin.output.split()),
    }
    for desk, text in shown.items():
        assert ": -." not in text, desk
        assert (
            "Last day of work: not recorded in HR, so the deadline counts from the termination date" in text
        ), desk
        assert "leaves on 2026-03-12." in text, desk
    assert checklist(shown["ServiceNow, Jira, TeamDynamix"]) == ["Disable the account"], (
        "the checklist survives"
    )


def test_a_known_last_day_is_left_as_it_is(sqlite_url: str) -> None:
    ticket = leaver_ticket(sqlite_url, termination_date="2026-03-12", last_day_of_work="2026-03-11")
    assert "Last day of work: 2026-03-11." in render_description(ticket)
    assert readable(ticket["description"]) == ticket["description"]


def test_other_unknown_facts_say_whom_to_ask() -> None:
    text = "Pat joins IT on 2026-04-01.\nManager: -. Prepare everything.\nBadge: -"
    assert readable(text) == (
        "Pat joins IT on 2026-04-01.\nManager: not recorded in HR; ask HR who approves this person's access. "
        "Prepare everything.\nBadge: not recorded in HR; ask HR before acting on it."
    )


@given(st.text())
def test_text_without_an_unknown_fact_is_never_touched(text: str) -> None:
    """Transfers read `org_unit: Finance -> IT`, tasks hold dashes; only `Label: -.` changes."""
    if ": -" not in text:
        assert readable(text) == text
    assert readable(readable(text)) == readable(text), "rendering twice changes nothing more"


def test_a_transfer_arrow_and_a_dash_in_a_value_stay() -> None:
    for text in ("Pat moves: org_unit: Finance -> IT.", "Asset: -12 units.", "Location: - North wing."):
        assert readable(text) == text
