"""`hub plan` shows each action's dry run read from the live tenant (and writes nothing), and
`hub approve ACTION` approves it beside the held runs: the operator's path through an automated
offboarding under the default `approve` policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.sandbox.fleet import SandboxFleet
from core.scenario.actions import opt_in

runner = CliRunner()
_register_subcommands()
UPN = "rui.tavares@agency.example.gov"


@pytest.fixture
def hub_yaml(tmp_path: Path) -> Iterator[tuple[Path, SandboxFleet]]:
    with SandboxFleet(tmp_path / "sandbox", scale=12, only=["workday", "office365"]) as fleet:
        path = fleet.write_hub_yaml(tmp_path / "hub.yaml", store_url=f"sqlite:///{tmp_path / 'hub.db'}")
        document = opt_in(yaml.safe_load(path.read_text()), fleet, ["office365"])
        path.write_text(yaml.safe_dump(document))
        yield path, fleet


def hub(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_plan_shows_the_dry_run_and_approve_takes_the_action(hub_yaml: tuple[Path, SandboxFleet]) -> None:
    path, fleet = hub_yaml
    workday, office365 = fleet.sandboxes["workday"], fleet.sandboxes["office365"]
    hired = workday.admin(
        "hire",
        {"given_name": "Rui", "family_name": "Tavares", "department": "IT", "title": "Analyst",
         "hire_date": "2024-01-08", "email": UPN},
    )  # fmt: skip
    employee_id = hired["employee_id"] if isinstance(hired, dict) else str(hired)
    office365.admin(
        "create_user", {"user_principal_name": UPN, "employee_id": employee_id, "display_name": "Rui"}
    )
    assert hub("run", "--config", str(path))[0] == 0
    workday.admin("terminate", {"employee_id": employee_id, "termination_date": "2026-01-02"})
    assert hub("sync", "workday", "--config", str(path))[0] == 0
    assert hub("resolve", "--config", str(path))[0] == 0

    code, out = hub("plan", "--config", str(path), "--json")
    assert code == 0, out
    planned = json.loads(out)
    assert planned["planned_actions"], out
    (disable,) = [a for a in planned["action_dry_runs"] if a["kind"] == "entra.disable_account"]
    assert disable["policy"] == "approve" and disable["changes"] == ["accountEnabled: true -> false"]
    assert office365.admin("user_state", {"user": UPN})["account_enabled"] is True
    assert office365.admin("write_requests", {})["count"] == 0
    code, out = hub("actions", "list", "--config", str(path), "--json")
    assert json.loads(out) == [], "a plan records nothing"

    assert hub("apply", "--config", str(path))[0] == 0
    code, out = hub("approve", "--list", "--config", str(path), "--json")
    (waiting,) = json.loads(out)["actions"]
    assert waiting["kind"] == "entra.disable_account" and waiting["state"] == "awaiting_approval"

    code, out = hub("approve", waiting["id"][:10], "--config", str(path))
    assert code == 0 and "approved action" in out, out
    assert hub("apply", "--config", str(path))[0] == 0
    assert office365.admin("user_state", {"user": UPN})["account_enabled"] is False
    code, out = hub("actions", "show", waiting["id"], "--config", str(path))
    assert "decided by operator" in out and "PATCH /v1.0/users/" in out and "-> 204" in out, out
