"""The console and the CLI tell an operator the same time: the deployment's zone with its offset
(hub.yaml `timezone`, here America/Chicago, five hours behind UTC in March), never bare UTC.

The console's pages are rendered by its real FastAPI app; only Airflow's sign-in is replaced by a
signed-in operator (the browser tests in tests/ui sign in for real)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi import Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core.airflow.console.access import Operator, reader
from core.airflow.console.app import create_app
from core.cli.app import _register_subcommands, app
from core.pipeline import run_lifecycle
from core.store.runs import finish_run
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage

_register_subcommands()
#: 15:00 UTC on 2026-03-10 (the frozen clock), in Chicago after the change to daylight time
SYNCED = "2026-03-10 10:00:00-05:00"
JOINER_DUE = "2026-03-20 00:00:00-05:00"


@pytest.fixture
def hub_yaml(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    set_today("2026-03-10")
    hub = make_hub(sqlite_url)
    synced = stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W2": person("E2", status="pre_hire", hire_date="2026-03-20", given_name="Maximiliana")},
    )
    finish_run(hub.store, synced.run_id, status="succeeded", read=1, counts=synced.counts)
    run_lifecycle(hub)
    hub.close()
    path = tmp_path / "hub.yaml"
    document = {"store": {"url": sqlite_url}, "timezone": "America/Chicago", "instances": INSTANCES}
    path.write_text(yaml.safe_dump(document))
    monkeypatch.setenv("HUB_CONFIG", str(path))
    yield path


@pytest.fixture
def console() -> TestClient:
    def signed_in(request: Request) -> Operator:
        request.state.operator = Operator(name="dana", can_act=True)
        return request.state.operator

    console_app = create_app()
    console_app.dependency_overrides[reader] = signed_in
    return TestClient(console_app)


def cli(hub_yaml: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--config", str(hub_yaml)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_overview_and_status_show_the_sync_at_the_same_local_time(
    hub_yaml: Path, console: TestClient
) -> None:
    overview = console.get("/")
    assert overview.status_code == 200
    assert SYNCED in overview.text, "the stream's last run in Chicago time with its offset"
    assert " UTC" not in overview.text
    assert SYNCED in cli(hub_yaml, "status")


def test_a_persons_log_and_the_ticket_show_the_same_due_time(hub_yaml: Path, console: TestClient) -> None:
    page = console.get("/people/E2")
    assert page.status_code == 200, page.text
    assert f"due {JOINER_DUE}" in page.text
    assert SYNCED in page.text, "the source change, when it was seen"
    assert " UTC" not in page.text
    assert f"due {JOINER_DUE}" in cli(hub_yaml, "tickets", "show", "E2")


def test_another_zone_moves_every_time_with_it(hub_yaml: Path, console: TestClient) -> None:
    document = yaml.safe_load(hub_yaml.read_text())
    hub_yaml.write_text(yaml.safe_dump({**document, "timezone": "Asia/Kolkata"}))
    assert "2026-03-10 20:30:00+05:30" in console.get("/").text
    assert "2026-03-10 20:30:00+05:30" in cli(hub_yaml, "status")
