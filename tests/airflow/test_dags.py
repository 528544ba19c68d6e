"""The hub's DAGs, built from hub.yaml, parse cleanly and run end to end through Airflow.

Runs against the example connector's sandbox (the template connector, always installed) with a
mapping supplied through `mappings.override_dirs`, so these tests prove the Airflow corner on
its own; the demo test proves it with every bundled connector.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.sandbox.ca import SandboxCA

pytestmark = pytest.mark.airflow
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def example_sandbox(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from connectors.example.sandbox import ExampleSandbox

    sandbox = ExampleSandbox(seed=3, scale=30, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("example"))
    with sandbox:
        yield sandbox


@pytest.fixture
def hub_yaml(tmp_path: Path, example_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    document = {
        "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "timezone": "America/Chicago",
        "mappings": {"override_dirs": [str(HERE / "example_mappings")]},
        "instances": [
            {
                "name": "directory",
                "type": "example",
                "schedule": "@hourly",
                "config": example_sandbox.instance_config(),
            }
        ],
        "lifecycle": {"storm_guard": {"max_count": 1000}},
    }
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(document))
    monkeypatch.setenv("HUB_CONFIG", str(path))
    return path


def test_the_dag_folder_imports_without_errors(hub_yaml: Path, airflow_metadata_db: str) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"hub_sync_directory", "hub_lifecycle", "hub_ticket_status"}
    sync = bag.get_dag("hub_sync_directory")
    assert sync.max_active_runs == 1 and not sync.catchup
    assert "Rerunning is safe" in (sync.doc_md or "")
    assert {t.task_id for t in sync.tasks} == {"provision_on_demand", "people.partitions", "people.sync"}
    people_sync = sync.get_task("people.sync")
    assert people_sync.pool == "hub_directory"
    assert [a.uri for a in people_sync.outlets] == ["hub://canonical/person"]
    assert people_sync.retries == 3 and people_sync.retry_exponential_backoff
    assert sync.deadline, "a run still unfinished after max_run_minutes notifies"
    lifecycle = bag.get_dag("hub_lifecycle")
    assert [t.task_id for t in lifecycle.topological_sort()] == ["resolve", "evaluate", "deliver"]


def test_a_broken_hub_yaml_is_an_import_error_that_names_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_metadata_db: str
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    path = tmp_path / "hub.yaml"
    path.write_text("instances:\n  - name: directory\n    typo: example\n")
    monkeypatch.setenv("HUB_CONFIG", str(path))
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    (error,) = bag.import_errors.values()
    assert "hub.yaml:3" in error


@contextmanager
def stage_holders() -> Iterator[list[dict[str, Any]]]:
    """The holder rows written to `stage_locks` by any store engine of this process meanwhile."""
    import sqlalchemy as sa

    holders: list[dict[str, Any]] = []

    def seen(conn: Any, statement: Any, *args: Any) -> None:
        if isinstance(statement, sa.Insert) and statement.table.name == "stage_locks":
            holders.append(statement.compile().params)

    sa.event.listen(sa.Engine, "before_execute", seen)
    try:
        yield holders
    finally:
        sa.event.remove(sa.Engine, "before_execute", seen)


def test_sync_and_lifecycle_dags_run_end_to_end_and_open_tickets(
    hub_yaml: Path, airflow_metadata_db: str
) -> None:
    from core.airflow.factory import build_dags, ensure_pools
    from core.config.hub_config import load_hub_config
    from core.demo.local_airflow import run_dag
    from core.hub import Hub
    from core.sandbox.org import roster
    from core.tickets.query import list_tickets

    config = load_hub_config(hub_yaml)
    assert ensure_pools(config) == {"hub_directory": 4}
    dags = build_dags(config, deadlines=False)

    sync = run_dag(dags["hub_sync_directory"])
    assert sync.state == "success", sync.tasks
    assert sync.returns["people.sync[0]"]["read"] == 30
    assert sync.returns["people.sync[0]"]["inserted"] == 30

    # the example directory lists the shared roster: its terminated people open no onboarding
    joiners = sum(1 for person in roster(3, 30) if person.status != "terminated")
    with stage_holders() as holders:
        lifecycle = run_dag(dags["hub_lifecycle"])
    assert lifecycle.state == "success", lifecycle.tasks
    # each task took the stage lock the CLI takes, as the holder a waiter would be told about
    assert [(h["stage"], h["pid"]) for h in holders] == [
        (s, os.getpid()) for s in ("resolve", "evaluate", "deliver")
    ]
    assert {h["airflow_run_id"] for h in holders} == {lifecycle.run_id}
    assert lifecycle.returns["deliver"]["delivered"] == joiners

    tickets = list_tickets(Hub(config).store)
    assert len(tickets) == joiners and {t["type"] for t in tickets} == {"onboarding"}

    again = run_dag(dags["hub_sync_directory"])
    assert again.returns["people.sync[0]"]["read"] == 0  # incremental: nothing changed since the cursor
    run_dag(dags["hub_lifecycle"])
    assert len(list_tickets(Hub(config).store)) == joiners  # a rerun never doubles a ticket

    status = run_dag(dags["hub_ticket_status"])
    assert status.state == "success", status.tasks
