"""Hub connection types in Airflow: one hook class per type declaring that type, secret extras
masked, and the Test button running the connector's own `check()` against the system (here its
sandbox), the way Airflow runs it: `Connection.test_connection()` -> the type's hook ->
`hook.test_connection()` (what `POST /api/v2/connections/test` calls)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.airflow.connection_types import CONNECTION_TYPES
from core.sandbox.ca import SandboxCA

pytestmark = pytest.mark.airflow
SECRET_EXTRAS = {
    ("hub_workday", "refresh_token"),
    ("hub_workday", "client_secret"),
    ("hub_munis", "private_key"),
    ("hub_office365", "client_certificate"),
    ("hub_servicenow", "client_secret"),
    ("hub_aws", "session_token"),
}


def test_each_type_has_its_own_hook_class_declaring_that_type(caplog: pytest.LogCaptureFixture) -> None:
    from airflow.providers_manager import ProvidersManager

    hooks = ProvidersManager().hooks
    for spec in CONNECTION_TYPES:
        name = spec["connection_type"]
        info = hooks[name]
        assert info is not None, name
        module, _, cls = info.hook_class_name.rpartition(".")
        hook_class = getattr(__import__(module, fromlist=[cls]), cls)
        assert hook_class.conn_type == name, (
            f"{cls} declares {hook_class.conn_type!r}, registered as {name!r}"
        )
    assert len({hooks[s["connection_type"]].hook_class_name for s in CONNECTION_TYPES}) == len(
        CONNECTION_TYPES
    )  # type: ignore[union-attr]
    assert "Inconsistency" not in caplog.text


def test_secret_extras_are_masked_in_the_form() -> None:
    from airflow.providers_manager import ProvidersManager

    widgets = ProvidersManager().connection_form_widgets
    for connection_type, field in SECRET_EXTRAS:
        assert widgets[f"extra__{connection_type}__{field}"].is_sensitive, (connection_type, field)
    assert not widgets["extra__hub_workday__tenant"].is_sensitive


def test_the_workday_form_asks_for_the_bare_user_name() -> None:
    from airflow.providers_manager import ProvidersManager

    label = ProvidersManager().field_behaviours["hub_workday"]["relabeling"]["login"]
    assert "without @tenant" in label and "ISU@tenant" not in label


@pytest.fixture
def teamdynamix(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[Any]:
    from connectors.teamdynamix.sandbox import TeamDynamixSandbox

    with TeamDynamixSandbox(seed=3, scale=5, ca=sandbox_ca, workdir=tmp_path / "tdx") as sandbox:
        yield sandbox


@pytest.fixture
def workday(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[Any]:
    from connectors.workday.sandbox import WorkdaySandbox

    with WorkdaySandbox(seed=3, scale=10, ca=sandbox_ca, workdir=tmp_path / "wd") as sandbox:
        yield sandbox


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> Any:
    """connection(conn_type, host=..., extra={...}) -> an Airflow Connection, exported as the
    `POST /api/v2/connections/test` route exports the connection it tests (AIRFLOW_CONN_<ID> =
    its URI) so the hook finds it by id."""
    from airflow.models.connection import Connection

    def make(conn_type: str, **fields: Any) -> Any:
        extra = fields.pop("extra", {})
        conn = Connection(conn_id=f"test_{conn_type}", conn_type=conn_type, extra=json.dumps(extra), **fields)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn.conn_id.upper()}", conn.get_uri())
        return conn

    return make


def test_the_test_button_runs_the_teamdynamix_check_and_shows_its_message(
    teamdynamix: Any, connection: Any
) -> None:
    config = teamdynamix.instance_config()
    standard = {"host": config["base_url"], "login": config["beid"], "password": config["web_services_key"]}
    settings = {k: v for k, v in config.items() if k not in ("base_url", "beid", "web_services_key")}

    ok, message = connection("hub_teamdynamix", **standard, extra=settings).test_connection()
    assert ok, message
    assert message == f"ticketing app {config['app_id']} usable at {config['base_url']}"

    wrong = connection("hub_teamdynamix", **standard, extra={**settings, "key_attribute_id": 9999})
    ok, message = wrong.test_connection()
    assert not ok and "ticket attribute 9999 (the hub key) does not exist" in message

    bad_key = connection("hub_teamdynamix", **{**standard, "password": "not-the-key-0000"}, extra=settings)
    ok, message = bad_key.test_connection()
    assert not ok and "loginadmin rejected" in message and "not-the-key-0000" not in message


def test_the_test_button_names_what_an_incomplete_connection_lacks_without_its_secret(
    connection: Any,
) -> None:
    conn = connection(
        "hub_teamdynamix", host="tdx.example.gov/TDWebApi", login="beid-1", password="s3cret-key"
    )
    ok, message = conn.test_connection()
    assert not ok
    assert "app_id: Field required" in message and "key_attribute_id: Field required" in message
    assert "s3cret-key" not in message


def test_the_workday_test_button_signs_in_with_the_bare_isu_name(workday: Any, connection: Any) -> None:
    config = workday.instance_config()
    extra = {"tenant": config["tenant"], "ca_bundle": config["ca_bundle"]}
    conn = connection(
        "hub_workday",
        host=config["base_url"],
        login=config["username"],
        password=config["password"],
        extra=extra,
    )
    ok, message = conn.test_connection()
    assert ok, message
    assert f"{config['username']}@{config['tenant']}" in message
