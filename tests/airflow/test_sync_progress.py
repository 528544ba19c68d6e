"""A sync task logs its progress while it reads, so the Airflow task log of a long sync moves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import core.sync.progress
from core.sandbox.ca import SandboxCA


@pytest.fixture
def hub_yaml(sandbox_ca: SandboxCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from connectors.example.sandbox import ExampleSandbox

    with ExampleSandbox(seed=3, scale=250, ca=sandbox_ca, workdir=tmp_path / "example") as sandbox:
        document: dict[str, Any] = {
            "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
            "instances": [{"name": "directory", "type": "example", "config": sandbox.instance_config()}],
        }
        path = tmp_path / "hub.yaml"
        path.write_text(yaml.safe_dump(document))
        monkeypatch.setenv("HUB_CONFIG", str(path))
        yield path


def test_the_sync_task_logs_running_counts_then_its_summary(
    hub_yaml: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from core.airflow.runtime import sync_partition

    monkeypatch.setattr(core.sync.progress, "INTERVAL", 0.0)  # every count, not every 30 s
    with caplog.at_level(logging.INFO, logger="hub.sync"):
        result = sync_partition("directory", "people", {})

    messages = [r.getMessage() for r in caplog.records]
    counts = [m for m in messages if "records read so far" in m]
    assert counts[0].startswith("directory/people: 100 records read so far (")
    assert counts[1].startswith("directory/people: 200 records read so far (")
    assert any(m.startswith("directory/people: {") and "'read': 250" in m for m in messages), (
        "then the summary"
    )
    assert result["status"] == "succeeded" and result["read"] == 250
