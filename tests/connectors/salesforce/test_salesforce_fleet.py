"""The demo points at Salesforce and Teams by changing `hub.yaml` alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.config.hub_config import load_hub_config
from core.hub import Hub
from core.sandbox.fleet import SandboxFleet
from core.tickets.sinks import notifier, ticket_sink


@pytest.mark.slow  # discovers and imports every registered connector
def test_the_sandbox_fleet_writes_a_hub_yaml_whose_sink_can_be_salesforce(tmp_path: Path) -> None:
    with SandboxFleet(workdir=tmp_path / "fleet", only=["salesforce", "teams"]) as fleet:
        assert fleet.failed == {}
        path = fleet.write_hub_yaml(tmp_path / "hub.yaml", store_url=f"sqlite:///{tmp_path / 'hub.db'}")
        document = yaml.safe_load(path.read_text())
        document["tickets"] = {"sink": "salesforce", "notifier": "teams"}
        path.write_text(yaml.safe_dump(document))
        hub = Hub(load_hub_config(path))
        try:
            sink, sender = ticket_sink(hub), notifier(hub)
            assert sink.type_name == "salesforce" and sink.check().ok
            assert sender is not None and sender.type_name == "teams" and sender.check().ok
        finally:
            hub.close()
