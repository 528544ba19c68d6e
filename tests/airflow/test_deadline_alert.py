"""A sync DAG still running `max_run_minutes` after it was queued tells the operators, through a
real Airflow scheduler (`airflow standalone`): Airflow 3's deadline alerts replaced SLA misses,
and `dag.test()` cannot run them, so only a scheduler proves the alert arrives.

The example source answers slowly (a sandbox fault), the deadline is one minute, and the Teams
sandbox must receive the "run late" card while the run is still going.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from core.sandbox.ca import SandboxCA
from core.sandbox.faults import Slow
from core.store.engine import open_store
from core.store.schema import sync_runs

pytestmark = pytest.mark.airflow
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sandboxes(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    from connectors.example.sandbox import ExampleSandbox
    from connectors.teams.sandbox import TeamsSandbox

    with (
        ExampleSandbox(seed=3, scale=100, ca=sandbox_ca, workdir=tmp_path / "example") as source,
        TeamsSandbox(seed=3, scale=5, ca=sandbox_ca, workdir=tmp_path / "teams") as teams,
    ):
        source.faults.arm(Slow(path="/api/people", seconds=25, times=5))  # five pages, ~2 minutes
        yield source, teams


@pytest.fixture
def airflow_env(tmp_path: Path, sandboxes: tuple[Any, Any]) -> dict[str, str]:
    from core.demo.local_airflow import airflow_environment

    source, teams = sandboxes
    hub_yaml = tmp_path / "hub.yaml"
    document = {
        "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "mappings": {"override_dirs": [str(HERE / "example_mappings")]},
        "instances": [
            {
                "name": "directory",
                "type": "example",
                "schedule": None,
                "max_run_minutes": 1,
                "config": source.instance_config(),
            },
            {"name": "teams", "type": "teams", "config": teams.instance_config()},
        ],
        "tickets": {"notifier": "teams"},
    }
    hub_yaml.write_text(yaml.safe_dump(document))
    port = free_port()
    env = {
        **os.environ,
        **airflow_environment(tmp_path / "airflow", hub_yaml),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    prepare = (
        "from core.demo.local_airflow import migrate_metadata; migrate_metadata(); "
        "from core.airflow.factory import ensure_pools; from core.config.hub_config import load_hub_config; "
        f"ensure_pools(load_hub_config({str(hub_yaml)!r}))"
    )
    subprocess.run([sys.executable, "-c", prepare], env=env, check=True, capture_output=True)
    return env


def airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=180)


def test_a_sync_run_past_its_deadline_notifies_the_operators(
    airflow_env: dict[str, str], sandboxes: tuple[Any, Any], tmp_path: Path
) -> None:
    from core.demo.up import wait_healthy

    _, teams = sandboxes
    log = (tmp_path / "airflow.log").open("wb")
    scheduler = subprocess.Popen(
        [str(BIN / "airflow"), "standalone"],
        env=airflow_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_healthy(int(airflow_env["AIRFLOW__API__PORT"]), scheduler), "airflow standalone came up"
        for _ in range(60):
            if "hub_sync_directory" in airflow(airflow_env, "dags", "list", "-o", "json").stdout:
                break
            time.sleep(3)
        airflow(airflow_env, "dags", "unpause", "hub_sync_directory")
        assert airflow(airflow_env, "dags", "trigger", "hub_sync_directory").returncode == 0

        late: list[dict[str, Any]] = []
        waited = time.monotonic()
        while not late and time.monotonic() - waited < 240:
            late = [m for m in teams.admin("messages", {}) if "Run late" in m["texts"]]
            time.sleep(3)

        assert late, "no deadline notification within 4 minutes of the trigger"
        (card,) = late
        assert "hub_sync_directory is still running 1 minute after it was queued" in card["texts"][1]
        with open_store(f"sqlite:///{tmp_path / 'hub.db'}").engine.connect() as conn:
            statuses = conn.execute(sa.select(sync_runs.c.status)).scalars().all()
        assert statuses in ([], ["running"]), "the alert came before the slow sync finished"
    finally:
        os.killpg(scheduler.pid, signal.SIGTERM)
        try:
            scheduler.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(scheduler.pid, signal.SIGKILL)
        log.close()
