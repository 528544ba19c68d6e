"""The `hub` command as an operator uses it, against the Workday sandbox tenant and a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.errors import HubError
from core.sandbox.fleet import SandboxFleet

runner = CliRunner()
_register_subcommands()


@pytest.fixture(scope="module")
def hub_yaml(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    workdir = tmp_path_factory.mktemp("cli")
    with SandboxFleet(workdir / "sandbox", scale=20, only=["workday"]) as fleet:
        path = fleet.write_hub_yaml(workdir / "hub.yaml", store_url=f"sqlite:///{workdir / 'hub.db'}")
        yield path


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and everything printed; a HubError is shown as `main()` shows it (message + hint)."""
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, HubError):
        return 1, f"{result.output}{result.exception.message} {result.exception.hint or ''}"
    return result.exit_code, result.output


def test_check_proves_credentials(hub_yaml: Path) -> None:
    code, out = invoke("check", "workday", "--config", str(hub_yaml))
    assert code == 0, out


def test_run_then_status_tickets_and_explain(hub_yaml: Path) -> None:
    code, out = invoke("run", "--config", str(hub_yaml), "--json")
    assert code == 0, out
    code, out = invoke("status", "--config", str(hub_yaml), "--json")
    assert code == 0, out
    status = json.loads(out)
    workers = [s for s in status["streams"] if s["stream"] == "workers"]
    assert workers and workers[0]["last_run"]["status"] == "succeeded"
    code, out = invoke("tickets", "list", "--config", str(hub_yaml), "--json")
    assert code == 0, out
    tickets = json.loads(out)
    assert all({"key", "type", "employee_id", "state", "priority", "due", "tasks"} <= set(t) for t in tickets)
    code, out = invoke("explain", "person", "E10001", "--config", str(hub_yaml), "--json")
    assert code == 0, out
    explained = json.loads(out)
    assert explained["entity"] == "person" and "E10001" in json.dumps(explained["record"])
    assert explained["sources"], "every canonical value traces back to a source record"


def test_bad_credentials_fail_check_without_printing_the_secret(hub_yaml: Path, tmp_path: Path) -> None:
    document = yaml.safe_load(hub_yaml.read_text())
    workday = next(i for i in document["instances"] if i["name"] == "workday")
    secret_fields = [k for k in workday["config"] if "password" in k or "secret" in k]
    assert secret_fields
    for field in secret_fields:
        workday["config"][field] = "Wrong-Pa55word-XYZ"
    bad = tmp_path / "hub.yaml"
    bad.write_text(yaml.safe_dump(document))
    code, out = invoke("check", "workday", "--config", str(bad))
    assert code != 0
    assert "Wrong-Pa55word-XYZ" not in out


def test_a_config_error_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "hub.yaml"
    bad.write_text("instances:\n  - name: workday\n    type: workdya\n")
    code, out = invoke("check", "workday", "--config", str(bad))
    assert code != 0
    assert "workdya" in out


def test_connectors_lists_every_registered_connector() -> None:
    code, out = invoke("connectors", "--json")
    assert code == 0, out
    names = {c["name"] for c in json.loads(out)}
    assert {"workday", "munis", "office365", "aws", "azure", "servicenow", "jira_sm", "salesforce"} <= names


def test_status_on_an_empty_store_is_clear(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(f"store: {{url: 'sqlite:///{tmp_path / 'empty.db'}'}}\ninstances: []\n")
    code, out = invoke("status", "--config", str(path), "--json")
    assert code == 0, out
    status = json.loads(out)
    assert status["streams"] == [] and all(n == 0 for n in status["entities"].values())
    code, out = invoke("status", "--config", str(path))
    assert code == 0 and out.strip()


def test_quarantine_lists_what_a_sync_could_not_use_and_shows_the_record(hub_yaml: Path) -> None:
    code, out = invoke("sync", "workday", "--config", str(hub_yaml))
    assert code == 0, out
    code, out = invoke("quarantine", "list", "--config", str(hub_yaml), "--instance", "workday", "--json")
    assert code == 0, out
    entries = json.loads(out)
    assert entries, "the Workday sandbox carries records its mapping refuses"
    assert all(e["released_at"] is None and e["reason"] and e["stream"] for e in entries)
    keys = [(e["stream"], e["record_key"]) for e in entries]
    assert len(keys) == len(set(keys)), "one open entry per record, however often it was re-read"

    code, out = invoke("quarantine", "show", str(entries[0]["id"]), "--config", str(hub_yaml), "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert shown["payload"] and shown["reason"] == entries[0]["reason"]
    code, out = invoke("quarantine", "list", "--config", str(hub_yaml))
    assert code == 0 and f"Quarantined records, open ({len(entries)})" in out and "quarantine show ID" in out
    code, out = invoke("quarantine", "show", "999999", "--config", str(hub_yaml))
    assert code == 1 and "no quarantine entry 999999" in out
