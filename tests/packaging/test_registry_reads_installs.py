"""The connector registry keeps the entry points it read (reading every distribution's metadata
for each `Hub` cost a fifth of a scenario's CPU), yet a package installed while the process runs
is found, and one removed is gone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from core.connector.registry import connector_class, installed_names
from core.errors import ConfigError


def install(site: Path) -> Path:
    dist = site / "acme_connector-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connector\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[itsm_hub.connectors]\nacme = connectors.workday.connector:WorkdayConnector\n"
    )
    return dist


def test_a_connector_installed_or_removed_while_the_process_runs_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    assert "acme" not in installed_names()
    with pytest.raises(ConfigError, match="unknown connector type 'acme'"):
        connector_class("acme")
    dist = install(site)
    assert connector_class("acme").__name__ == "WorkdayConnector"
    shutil.rmtree(dist)
    assert "acme" not in installed_names()
    assert connector_class("workday").__name__ == "WorkdayConnector"
