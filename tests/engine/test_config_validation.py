"""The whole hub.yaml is validated when it is loaded, before any stage runs: every section
(lifecycle, resolution, stream policies, tickets) names file and line, says what is wrong in the
operator's words (no library jargon or links), and a secret reference that cannot be resolved
names the instance and field that need it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.config.hub_config import load_hub_config
from core.errors import ConfigError
from core.hub import Hub

runner = CliRunner()
_register_subcommands()

INSTANCES = """\
store: {{url: "sqlite:///{db}"}}
instances:
  - name: munis
    type: munis
    config:
      transport: directory
      file_dir: {folder}
"""


def _write(tmp_path: Path, tail: str) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    path = tmp_path / "hub.yaml"
    path.write_text(INSTANCES.format(db=tmp_path / "hub.db", folder=folder) + tail)
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_hub_config(path)
    message = str(caught.value)
    assert "pydantic" not in message and "http" not in message, "no library jargon or links"
    return message


def test_a_misspelt_lifecycle_key_is_refused_at_load_naming_line_and_the_right_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "lifecycle:\n  storm_gaurd: {max_count: 10}\n")
    message = _refusal(path)
    assert f"{path}:9: lifecycle.storm_gaurd: unknown key (did you mean 'storm_guard'?)" in message


def test_hub_sync_stops_on_a_lifecycle_error_before_any_run(tmp_path: Path) -> None:
    path = _write(tmp_path, "lifecycle:\n  deadline_preset: fedramp_extreme\n")
    result = runner.invoke(app, ["sync", "munis", "--config", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    message = str(result.exception)
    assert f"{path}:9: lifecycle.deadline_preset:" in message and "fedramp_moderate" in message
    assert not (tmp_path / "hub.db").exists() or _no_runs(tmp_path / "hub.db"), "nothing ran"


def _no_runs(db: Path) -> bool:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        return (
            "sync_runs" not in tables or not conn.execute(sa.text("select count(*) from sync_runs")).scalar()
        )


@pytest.mark.parametrize(
    ("tail", "where", "says"),
    [
        (
            "lifecycle:\n  timezone: America/Chicgo\n",
            "9: lifecycle.timezone",
            "unknown time zone 'America/Chicgo'",
        ),
        (
            "lifecycle:\n  location_timezones: {HNL: Pacific/Honolul}\n",
            "9: lifecycle.location_timezones",
            "Pacific/Honolul",
        ),
        (
            "lifecycle:\n  existing_staff_days: -3\n",
            "9: lifecycle.existing_staff_days",
            "greater than or equal to 0",
        ),
        (
            "lifecycle:\n  transfer_notice: in_advance\n",
            "9: lifecycle.transfer_notice",
            "'advance' or 'on_effective'",
        ),
        ("timezone: Mars/Olympus\n", "8: timezone", "unknown time zone"),
        ("resolution:\n  persn: {match: []}\n", "9: resolution.persn", "did you mean 'person'"),
        (
            "resolution:\n  person:\n    match:\n      - {name: id, fields: [employee_id], normalize: uppercase}\n",
            "11: resolution.person.match.0.normalize",
            "'upper'",
        ),
        (
            "tickets:\n  sink: servicenow\n",
            "9: tickets.sink",
            "no instance named 'servicenow'; known: builtin, munis",
        ),
        (
            "    streams:\n      employees:\n        guard: {max_shar: 0.1}\n",
            "10: instances.0.streams.employees.guard.max_shar",
            "did you mean 'max_share'",
        ),
    ],
    ids=[
        "zone",
        "location-zone",
        "negative",
        "transfer-notice",
        "hub-zone",
        "entity",
        "normalizer",
        "sink",
        "guard",
    ],
)
def test_every_section_is_checked_at_load(tmp_path: Path, tail: str, where: str, says: str) -> None:
    path = _write(tmp_path, tail)
    message = _refusal(path)
    assert f"{path}:{where}" in message and says in message, message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "timezone: Mars/Olympus\nlifecycle:\n  storm_gaurd: {}\n  last_day_end_hour: 25\n"
    )
    message = _refusal(path)
    assert "timezone" in message and "storm_gaurd" in message and "last_day_end_hour" in message


def test_a_connector_config_error_is_found_before_any_stage_runs(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "  - name: directory\n    type: example\n    config: {base_url: 'https://dir.example'}\n"
    )
    result = runner.invoke(app, ["run", "--config", str(path)])
    assert isinstance(result.exception, ConfigError)
    message = str(result.exception)
    assert f"{path}:10: instances.1.config.client_id: Field required" in message
    assert not (tmp_path / "hub.db").exists() or _no_runs(tmp_path / "hub.db"), "no source was synced"


def test_a_missing_environment_secret_names_the_instance_field_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIRECTORY_CLIENT_SECRET", raising=False)
    path = _write(
        tmp_path,
        "  - name: directory\n    type: example\n    config:\n      base_url: 'https://dir.example'\n"
        "      client_id: hub\n      client_secret: {env: DIRECTORY_CLIENT_SECRET}\n",
    )
    hub = Hub.load(path)
    with pytest.raises(ConfigError) as caught:
        hub.connector("directory").check()
    message = str(caught.value)
    assert "instance directory" in message and "field client_secret" in message
    assert f"{path}:13" in message and "DIRECTORY_CLIENT_SECRET is not set" in message
