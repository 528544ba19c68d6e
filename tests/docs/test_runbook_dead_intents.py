"""docs/runbook.md, "Retrying a dead intent", followed literally: an intent dies against the
ServiceNow sandbox (its password was wrong), the cause is fixed, and the page's commands, run in
order, bring the ticket to the sandbox exactly once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from connectors.servicenow.sandbox import ServiceNowSandbox
from core.cli.app import _register_subcommands, app
from core.config.hub_config import load_hub_config
from core.hub import Hub
from core.sandbox.ca import SandboxCA
from core.store.engine import open_store
from core.testing.sink_kit import enqueue, sample_ticket, unique_key

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
_register_subcommands()


def documented_commands() -> list[list[str]]:
    """The `$ hub ...` lines of the console block under "Retrying a dead intent"."""
    section = RUNBOOK.read_text(encoding="utf-8").split("### Retrying a dead intent", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block, "the section has no console block"
    lines = [line[2:].split() for line in block.group(1).splitlines() if line.startswith("$ ")]
    assert all(line[0] == "hub" for line in lines)
    return [line[1:] for line in lines]


@pytest.fixture(scope="module")
def desk(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceNowSandbox]:
    running = ServiceNowSandbox(
        seed=7, scale=20, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("runbook") / "sn"
    )
    running.start()
    yield running
    running.stop()


def write_hub_yaml(path: Path, store: Path, sink_config: dict[str, Any]) -> None:
    document = {
        "store": {"url": f"sqlite:///{store}"},
        "instances": [{"name": "servicenow", "type": "servicenow", "config": sink_config}],
        "tickets": {"sink": "servicenow", "delivery": {"max_attempts": 1}},
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


def hub_cli(*args: str, env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, f"hub {' '.join(args)}: {result.output}{result.exception or ''}"
    return result.output


def test_the_documented_commands_revive_a_dead_intent_and_deliver_it_once(
    desk: ServiceNowSandbox, tmp_path: Path
) -> None:
    hub_yaml, store = tmp_path / "hub.yaml", tmp_path / "hub.db"
    env = {"HUB_CONFIG": str(hub_yaml), "COLUMNS": "200"}
    write_hub_yaml(hub_yaml, store, {**desk.instance_config(), **desk.bad_credentials()})
    hub = Hub(load_hub_config(hub_yaml), open_store(f"sqlite:///{store}"))
    key = unique_key("leaver")
    enqueue(hub, sample_ticket(key), "create", sink="servicenow")
    hub.close()
    hub_cli("apply", env=env)  # the wrong password: one attempt, and max_attempts is 1
    assert "dead: 1" in hub_cli("status", env=env)
    assert desk.admin("tickets_with_key", {"key": key}) == 0

    write_hub_yaml(hub_yaml, store, desk.instance_config())  # the cause is fixed
    outputs = {" ".join(command): hub_cli(*command, env=env) for command in documented_commands()}

    assert "dead: 1" in outputs["status"]
    assert key in outputs["outbox list --state dead"]
    assert "refused the password grant" in outputs["outbox show 1"], "the last error says why it died"
    assert "Wrong-pass-123" not in "".join(outputs.values()), "a password reached the operator's screen"
    assert "1 intent pending again" in outputs["outbox retry 1"]
    assert desk.admin("tickets_with_key", {"key": key}) == 1, "the documented retry did not deliver"
    assert "dead: 0" in hub_cli("status", env=env)
    [intent] = json.loads(hub_cli("outbox", "list", "--json", env=env))
    assert (intent["state"], intent["attempts"]) == ("delivered", 1)
    assert json.loads(hub_cli("outbox", "retry", "--all", "--json", env=env)) == {"retried": []}
