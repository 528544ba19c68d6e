"""Looking one connector up imports that connector only: an Airflow task syncing Workday must not
pay for boto3, the Azure SDKs, msal or simple-salesforce. Each case runs in a fresh interpreter
and reads `sys.modules` afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.packaging.layout import ROOT

HEAVY = ("boto3", "azure", "msal", "simple_salesforce")


def loaded_after(body: str, *, path: list[str] | None = None) -> dict[str, object]:
    """Run `body` in a fresh interpreter; the heavy SDKs it left loaded, and what it printed."""
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path[:0] = {path or []!r}
        result = None
        """
    )
    script += textwrap.dedent(body)
    script += textwrap.dedent(
        f"""
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})
        print(json.dumps({{"loaded": loaded, "result": result}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("type_name", "allowed"),
    [
        ("workday", set()),
        ("munis", set()),
        ("servicenow", set()),
        ("builtin", set()),
        ("aws", {"boto3"}),
        ("office365", {"msal"}),
        ("azure", {"azure", "msal"}),  # azure-identity signs in through msal
        ("salesforce", {"simple_salesforce"}),
    ],
)
def test_looking_up_one_connector_imports_only_its_own_sdk(type_name: str, allowed: set[str]) -> None:
    outcome = loaded_after(
        f"""
        from core.connector.registry import connector_class
        result = connector_class({type_name!r}).__name__
        """
    )
    assert outcome["result"]
    assert set(outcome["loaded"]) <= allowed, f"{type_name} pulled in {outcome['loaded']}"


def test_a_hub_running_one_instance_of_many_imports_that_connector_only(tmp_path: Path) -> None:
    """What an Airflow task does: build the hub from a hub.yaml naming every cloud connector,
    then create the one instance it syncs."""
    outcome = loaded_after(
        f"""
        from core.config.hub_config import HubConfig
        from core.hub import Hub
        config = HubConfig.model_validate({{
            "store": {{"url": "sqlite:///{tmp_path / "hub.db"}"}},
            "instances": [
                {{"name": "workday", "type": "workday", "config": {{"base_url": "https://wd.example.org", "tenant": "acme",
                  "username": "isu@acme", "password": "pw"}}}},
                {{"name": "aws", "type": "aws", "config": {{}}}},
                {{"name": "azure", "type": "azure", "config": {{"tenant_id": "t"}}}},
                {{"name": "office365", "type": "office365", "config": {{}}}},
                {{"name": "salesforce", "type": "salesforce", "config": {{}}}},
            ],
        }})
        result = type(Hub(config).connector("workday")).__name__
        """
    )
    assert outcome == {"loaded": [], "result": "WorkdayConnector"}


def test_listing_loads_every_connector_and_reports_one_that_fails_to_import(tmp_path: Path) -> None:
    """A broken third-party connector is listed with its error and never breaks a lookup of
    another one (nor is it imported by that lookup)."""
    site = tmp_path / "site"
    dist = site / "acme_connector-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connector\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[itsm_hub.connectors]\nacme = acme_broken.connector:AcmeConnector\n"
    )
    (site / "acme_broken").mkdir()
    (site / "acme_broken" / "__init__.py").write_text("")
    (site / "acme_broken" / "connector.py").write_text("import not_installed_sdk\n")
    looked_up = loaded_after(
        """
        from core.connector.registry import connector_class
        connector_class("workday")
        result = "acme_broken.connector" in sys.modules
        """,
        path=[str(site)],
    )
    assert looked_up["result"] is False
    listed = loaded_after(
        """
        from core.connector.registry import connector_class, discover
        entries = {e.name: e.error for e in discover()}
        try:
            connector_class("acme")
        except Exception as exc:
            lookup = f"{type(exc).__name__}: {exc}"
        result = {"acme": entries["acme"], "workday": entries["workday"], "lookup": lookup}
        """,
        path=[str(site)],
    )
    result = listed["result"]
    assert isinstance(result, dict)
    assert result["acme"] == "ModuleNotFoundError: No module named 'not_installed_sdk'"
    assert result["workday"] is None
    assert result["lookup"].startswith("ConfigError: connector 'acme' failed to load: ModuleNotFoundError")
    assert set(listed["loaded"]) == set(HEAVY), "listing imports every connector"


def test_an_unknown_type_lists_the_installed_ones_without_importing_them() -> None:
    outcome = loaded_after(
        """
        from core.connector.registry import connector_class
        try:
            connector_class("workdy")
        except Exception as exc:
            result = str(exc)
        """
    )
    assert outcome["loaded"] == []
    assert "unknown connector type 'workdy'" in str(outcome["result"]) and "workday" in str(outcome["result"])
