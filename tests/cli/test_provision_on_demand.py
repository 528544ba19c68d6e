"""`hub sync INSTANCE --employee ID`: one person, planned without a trace, applied exactly once.

Against the Workday sandbox tenant: two people are hired after the last scheduled sync; only
the one asked for is provisioned, the plan changes nothing, and applying twice opens one ticket.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.hub import Hub
from core.sandbox.fleet import SandboxFleet
from core.store.schema import source_records, stream_state, tickets

runner = CliRunner()
_register_subcommands()


@pytest.fixture(scope="module")
def hired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """A synced hub, then two hires the scheduled sync has not seen yet."""
    workdir = tmp_path_factory.mktemp("provision")
    with SandboxFleet(workdir / "sandbox", scale=12, only=["workday"]) as fleet:
        path = fleet.write_hub_yaml(workdir / "hub.yaml", store_url=f"sqlite:///{workdir / 'hub.db'}")
        assert runner.invoke(app, ["run", "--config", str(path), "--json"]).exit_code == 0
        workday = fleet.sandboxes["workday"]
        wanted = workday.admin(
            "hire", {"given_name": "Zoe", "family_name": "Quinn", "hire_date": "2027-01-10"}
        )
        other = workday.admin(
            "hire", {"given_name": "Max", "family_name": "Olsen", "hire_date": "2027-01-11"}
        )
        yield path, wanted, other


def sync(path: Path, *args: str) -> tuple[int, Any]:
    result = runner.invoke(app, ["sync", "workday", "--config", str(path), "--json", *args])
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else result.output


def snapshot(path: Path) -> dict[str, Any]:
    hub = Hub.load(path)
    with hub.store.engine.connect() as conn:
        found = {
            "records": conn.scalar(sa.select(sa.func.count()).select_from(source_records)),
            "cursors": sorted(
                map(tuple, conn.execute(sa.select(stream_state.c.stream, stream_state.c.state)))
            ),
            "tickets": sorted(map(tuple, conn.execute(sa.select(tickets.c.employee_id, tickets.c.type)))),
        }
    hub.close()
    return found


def test_the_plan_says_what_would_happen_and_changes_nothing(hired: tuple[Path, str, str]) -> None:
    path, wanted, _ = hired
    before = snapshot(path)
    code, out = sync(path, "--employee", wanted.lower())  # as typed by hand: case does not matter
    assert code == 0, out
    assert out["applied"] is False
    plan = out["plan"]
    assert [(r["stream"], r["outcome"]) for r in plan["records"]] == [("workers", "new")]
    assert plan["match"] == "new" and plan["person_name"] == "Zoe Quinn"
    assert [(t["action"], t["type"], t["employee_id"]) for t in plan["tickets"]] == [
        ("create", "onboarding", wanted)
    ]
    assert [d["sink"] for d in plan["deliveries"]] == ["builtin"]
    assert snapshot(path) == before


def test_apply_provisions_only_that_person_once_and_keeps_the_cursors(hired: tuple[Path, str, str]) -> None:
    path, wanted, other = hired
    before = snapshot(path)
    code, out = sync(path, "--employee", wanted, "--yes")
    assert code == 0, out
    assert out["applied"] is True and out["delivered"] == 1
    [(key, ticket)] = out["tickets"].items()
    assert key.startswith(f"{wanted}:") and ":joiner:" in key and ticket["external_id"].startswith("HUB")
    after = snapshot(path)
    assert after["tickets"] == [*before["tickets"], (wanted, "onboarding")]
    assert after["records"] == before["records"] + 1
    assert after["cursors"] == before["cursors"], "the scheduled sync's cursors are its own"
    assert other not in json.dumps(after["tickets"])
    code, again = sync(path, "--employee", wanted, "--yes")
    assert code == 0
    assert again["applied"] is False, "nothing left to do: the record is staged and its ticket delivered"
    assert [r["outcome"] for r in again["plan"]["records"]] == ["unchanged"]
    assert snapshot(path)["tickets"] == after["tickets"]


def test_a_person_the_source_does_not_have_is_said_plainly(hired: tuple[Path, str, str]) -> None:
    path, _, _ = hired
    result = runner.invoke(app, ["sync", "workday", "--config", str(path), "--employee", "E99999"])
    assert result.exit_code == 0
    assert "no record of E99999 found; nothing to do" in result.output
    assert "workers (" in result.output, "it says how many records it looked through"
