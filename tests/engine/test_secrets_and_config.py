"""Secrets are resolved lazily from a literal, the environment or an Airflow Connection, and never
shown; a wrong hub.yaml names its file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from connectors.example.config import ExampleConfig
from core.config.hub_config import load_hub_config
from core.errors import ConfigError
from core.secrets import Secret

VALUE = "Sup3r-Secret-Value"


def config(secret: object) -> ExampleConfig:
    return ExampleConfig.model_validate(
        {"base_url": "https://dir.example", "client_id": "c", "client_secret": secret}
    )


def test_a_literal_secret_is_masked_in_repr_dump_and_json() -> None:
    cfg = config(VALUE)
    assert cfg.client_secret.reveal() == VALUE
    for text in (repr(cfg), str(cfg), cfg.model_dump_json(), json.dumps(cfg.model_dump(mode="json"))):
        assert VALUE not in text


def test_an_environment_secret_is_read_at_use_and_its_absence_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = config({"env": "HUB_TEST_SECRET"})  # loading needs no secret
    monkeypatch.delenv("HUB_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match="HUB_TEST_SECRET is not set"):
        cfg.client_secret.reveal()
    monkeypatch.setenv("HUB_TEST_SECRET", VALUE)
    assert cfg.client_secret.reveal() == VALUE
    assert cfg.model_dump(mode="json")["client_secret"] == {"env": "HUB_TEST_SECRET"}


def test_an_airflow_connection_secret_is_read_from_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_HUB_DIRECTORY",
        json.dumps(
            {"conn_type": "hub_workday", "login": "isu", "password": VALUE, "extra": {"tenant": "agency"}}
        ),
    )
    assert config({"airflow_conn": "hub_directory"}).client_secret.reveal() == VALUE
    assert config({"airflow_conn": "hub_directory", "field": "tenant"}).client_secret.reveal() == "agency"
    with pytest.raises(ConfigError, match="'hub_directory' has no 'refresh_token'"):
        config({"airflow_conn": "hub_directory", "field": "refresh_token"}).client_secret.reveal()


def test_the_config_schema_marks_secrets_write_only() -> None:
    schema = ExampleConfig.model_json_schema()
    assert schema["properties"]["client_secret"]["writeOnly"] is True


def test_an_unknown_reference_kind_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown secret reference keys"):
        config({"vault": "kv/hub"})
    assert Secret(literal=VALUE) == Secret(literal=VALUE)


def test_a_wrong_hub_yaml_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(
        "timezone: America/Chicago\ninstances:\n  - name: workday\n    type: workday\n    schedul: '@hourly'\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_hub_config(path)
    assert "hub.yaml:5" in str(caught.value) and "schedul" in str(caught.value)


def test_duplicate_instance_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("instances:\n  - {name: workday, type: workday}\n  - {name: workday, type: workday}\n")
    with pytest.raises(ConfigError, match="workday"):
        load_hub_config(path)
