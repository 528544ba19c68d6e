"""Two `hub apply` processes started together on one store and one sink (a shell beside the
Airflow task, two Celery workers): every intent reaches the ServiceNow sandbox exactly once,
counted there, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from connectors.servicenow.sandbox import ServiceNowSandbox
from core.config.hub_config import load_hub_config
from core.hub import Hub
from core.sandbox.ca import SandboxCA
from core.store.engine import open_store
from core.testing.sink_kit import enqueue, sample_ticket, unique_key

HUB = str(Path(sys.executable).parent / "hub")


@pytest.fixture(scope="module")
def desk(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceNowSandbox]:
    running = ServiceNowSandbox(
        seed=7, scale=20, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("two") / "sn"
    )
    running.start()
    yield running
    running.stop()


def test_two_hub_processes_at_once_open_one_ticket_per_key(
    desk: ServiceNowSandbox, store_url: str, tmp_path: Path
) -> None:
    hub_yaml = tmp_path / "hub.yaml"
    document = {
        "store": {"url": store_url},
        "instances": [{"name": "servicenow", "type": "servicenow", "config": desk.instance_config()}],
        "tickets": {"sink": "servicenow"},
    }
    hub_yaml.write_text(yaml.safe_dump(document), encoding="utf-8")
    hub = Hub(load_hub_config(hub_yaml), open_store(store_url))
    keys = [unique_key("joiner") for _ in range(8)]
    for key in keys:
        enqueue(hub, sample_ticket(key), "create", sink="servicenow")
    hub.close()

    env = {**os.environ, "HUB_CONFIG": str(hub_yaml), "COLUMNS": "200"}
    runners = [
        subprocess.Popen(
            [HUB, "apply", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=600) for runner in runners]
    for runner, (out, err) in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, f"hub apply exited {runner.returncode}: {out}\n{err[-2000:]}"
    delivered = [json.loads(out)["delivery"]["delivered"] for out, _ in outputs]
    assert sum(delivered) == len(keys), delivered
    assert {key: desk.admin("tickets_with_key", {"key": key}) for key in keys} == dict.fromkeys(keys, 1)
