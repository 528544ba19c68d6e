"""The run ledger tells the truth: a run that failed before or during its read ends `failed` with
the reason, and a `running` row whose process is gone (killed, host lost) becomes `abandoned` on
the next start of its stream and in `hub status`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from core import clock
from core.errors import ConfigError
from core.hub import Hub
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import Slow
from core.status import hub_status
from core.store.runs import start_run
from core.store.schema import sync_runs
from core.sync.runner import sync_stream

HUB = str(Path(sys.executable).parent / "hub")


@pytest.fixture
def directory(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """The example directory sandbox and a hub.yaml with one instance of it."""
    from connectors.example.sandbox import ExampleSandbox

    with ExampleSandbox(seed=3, scale=120, ca=sandbox_ca, workdir=tmp_path / "example") as sandbox:
        path = tmp_path / "hub.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
                    "instances": [
                        {"name": "directory", "type": "example", "config": sandbox.instance_config()}
                    ],
                }
            )
        )
        yield sandbox, path


def _runs(hub: Hub) -> list[dict[str, Any]]:
    with hub.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(sync_runs).order_by(sync_runs.c.started_at))]


def test_a_mapping_error_ends_the_run_failed_with_the_reason(
    directory: tuple[Any, Path], tmp_path: Path
) -> None:
    _, path = directory
    overrides = tmp_path / "mappings"
    overrides.mkdir()
    (overrides / "example.yaml").write_text(
        "version: 1\nconnector: example\nstreams:\n  people:\n    entity: person\n"
        "    fields:\n      employee_id: upper(employee_number\n"
    )
    document = yaml.safe_load(path.read_text())
    document["mappings"] = {"override_dirs": [str(overrides)]}
    path.write_text(yaml.safe_dump(document))
    hub = Hub.load(path)
    with pytest.raises(ConfigError):
        sync_stream(hub, "directory", "people")
    [run] = _runs(hub)
    assert run["status"] == "failed" and run["finished_at"] is not None
    assert run["error_kind"] == "config" and "example.yaml" in run["error"]
    hub.close()


def _wait_for_running_row(hub: Hub, child: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    pid = child.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:  # it ended before its run showed: say why, not "never started"
            raise AssertionError(f"hub sync exited {child.returncode}: {log.read_text()[-2000:]}")
        try:
            running = [r for r in _runs(hub) if r["status"] == "running" and r["pid"] == pid]
        except sa.exc.OperationalError:  # the store is being created by the child
            running = []
        if running:
            return running[0]
        time.sleep(0.2)
    raise AssertionError(f"the sync never started its run in 60 s: {log.read_text()[-2000:]}")


def test_a_killed_sync_is_abandoned_in_status_and_the_next_run_succeeds(
    directory: tuple[Any, Path], tmp_path: Path
) -> None:
    sandbox, path = directory
    sandbox.arm(Slow(path=r"^/api/people$", seconds=30, times=5))
    log = tmp_path / "sync.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [HUB, "sync", "directory", "--config", str(path)], stdout=output, stderr=subprocess.STDOUT
        )
    hub = Hub.load(path)
    try:
        killed = _wait_for_running_row(hub, child, log)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    sandbox.faults.clear()

    [stream] = hub_status(hub.store)["streams"]
    assert stream["last_run"]["status"] == "abandoned"
    assert f"pid {child.pid}" in stream["last_run"]["error"] and "None" not in stream["last_run"]["error"]

    [summary] = sync_stream(hub, "directory", "people")
    assert summary.status == "succeeded" and summary.read == 120
    statuses = {r["run_id"]: r["status"] for r in _runs(hub)}
    assert statuses == {killed["run_id"]: "abandoned", summary.run_id: "succeeded"}
    hub.close()


def _foreign_run(hub: Hub, *, heartbeat_age: timedelta) -> str:
    run_id = start_run(
        hub.store, instance="directory", stream="people", partition="", state_before=None, full_refresh=False
    )
    with hub.store.engine.begin() as conn:
        conn.execute(
            sync_runs.update()
            .where(sync_runs.c.run_id == run_id)
            .values(host="worker-7.agency.internal", pid=4242, heartbeat_at=clock.now() - heartbeat_age)
        )
    return run_id


def test_the_next_start_abandons_a_run_whose_heartbeat_stopped(directory: tuple[Any, Path]) -> None:
    _, path = directory
    hub = Hub.load(path)
    lost = _foreign_run(hub, heartbeat_age=timedelta(hours=2))
    [summary] = sync_stream(hub, "directory", "people")
    by_id = {r["run_id"]: r for r in _runs(hub)}
    assert by_id[lost]["status"] == "abandoned" and "worker-7.agency.internal" in by_id[lost]["error"]
    assert by_id[summary.run_id]["status"] == "succeeded"
    hub.close()


def test_a_live_run_on_another_host_is_left_running(directory: tuple[Any, Path]) -> None:
    _, path = directory
    hub = Hub.load(path)
    alive = _foreign_run(hub, heartbeat_age=timedelta(seconds=30))
    hub_status(hub.store)
    assert {r["run_id"]: r["status"] for r in _runs(hub)}[alive] == "running"
    hub.close()
