"""Errors in their true category: a command whose argument names nothing that exists is
`not_found` (exit 8), one whose argument or option is malformed is `config` (exit 2), so a
script can tell "no such intent" from "hub.yaml is wrong". The console answers the same
lookups with 404, and a refusal in the object's state with 409."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi import Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core.airflow.console.access import Operator, reader
from core.airflow.console.app import create_app
from core.cli.app import _register_subcommands, app
from core.cli.output import EXIT_CODES
from core.errors import HubError
from tests.engine.staging import INSTANCES, make_hub

_register_subcommands()

NAMES_NOTHING = [
    "outbox show 99",
    "outbox retry 99",
    "quarantine show 99",
    "tickets show HUB999999",
    "tickets close nope",
    "explain E404",
    "explain asset X1",
    "approve 0123456789abcdef",
    "approve no-such-hold",
    "review resolve 99 --new",
]
MALFORMED = [
    "findings --since yesterday",
    "findings --kind orphans",
    "outbox list --state stuck",
    "explain widget X",
    "outbox retry",
]


@pytest.fixture
def hub_yaml(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_hub(sqlite_url).close()
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({"store": {"url": sqlite_url}, "instances": INSTANCES}))
    monkeypatch.setenv("HUB_CONFIG", str(path))
    return path


def error_of(hub_yaml: Path, command: str) -> HubError:
    result = CliRunner().invoke(app, [*command.split(), "--config", str(hub_yaml)])
    assert isinstance(result.exception, HubError), f"hub {command}: {result.output}"
    return result.exception


@pytest.mark.parametrize("command", NAMES_NOTHING)
def test_a_lookup_that_finds_nothing_is_not_found(hub_yaml: Path, command: str) -> None:
    error = error_of(hub_yaml, command)
    assert (error.kind, EXIT_CODES[error.kind]) == ("not_found", 8), f"hub {command}: {error.message}"
    assert error.hint, "it says where to look"


@pytest.mark.parametrize("command", MALFORMED)
def test_a_malformed_argument_is_a_config_error(hub_yaml: Path, command: str) -> None:
    error = error_of(hub_yaml, command)
    assert (error.kind, EXIT_CODES[error.kind]) == ("config", 2), f"hub {command}: {error.message}"


def test_the_console_answers_a_missing_object_with_404(hub_yaml: Path) -> None:
    def signed_in(request: Request) -> Operator:
        request.state.operator = Operator(name="dana", can_act=True)
        return request.state.operator

    console_app = create_app()
    console_app.dependency_overrides[reader] = signed_in
    console = TestClient(console_app)
    for path in ("/outbox/99", "/quarantine/99", "/people/E404"):
        answer = console.get(path)
        assert answer.status_code == 404, path
        assert "no " in answer.text and "Traceback" not in answer.text, path
