"""Running hub DAGs through Airflow in this process (demo, tests): an isolated AIRFLOW_HOME on
the embedded SQLite metadata database, pools created, each DAG run with `dag.test()`.

`prepare()` must run before the first Airflow import of the process, because Airflow reads its
configuration at import time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
DAGS_FOLDER = ROOT / "dags"


def airflow_environment(home: Path, hub_config: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home.resolve()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # Admin > Connections > Test runs a hub connector's check() (Airflow ships it disabled)
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        # the DAG file is parsed in every task process: leave room for a busy 2-core machine
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "HUB_CONFIG": str(hub_config.resolve()),
    }


def prepare(home: Path, hub_config: Path) -> None:
    """Point this process at `home` and create (or upgrade) the metadata database there."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(airflow_environment(home, hub_config))
    migrate_metadata()


def migrate_metadata() -> None:
    """`airflow db migrate` for the AIRFLOW_HOME in this process's environment."""
    airflow = Path(sys.executable).parent / "airflow"
    result = subprocess.run(
        [str(airflow), "db", "migrate"], env=os.environ.copy(), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stderr[-2000:]}")


@dataclass
class DagRunResult:
    dag_id: str
    state: str
    tasks: dict[str, str]
    returns: dict[str, Any]
    run_id: str = ""


def run_dag(dag: Any, conf: dict[str, Any] | None = None) -> DagRunResult:
    """Run one DAG end to end with `dag.test()` (with `conf` as the trigger form's params) and
    collect task states and return values."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    run = dag.test(run_conf=conf)
    tasks: dict[str, str] = {}
    returns: dict[str, Any] = {}
    with create_session() as session:
        for ti in run.get_task_instances(session=session):
            label = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            tasks[label] = str(ti.state)
            query = XComModel.get_many(
                run_id=run.run_id,
                dag_ids=dag.dag_id,
                task_ids=ti.task_id,
                map_indexes=ti.map_index,
                key="return_value",
            )
            value = session.scalars(query).first()
            if value is not None:
                returns[label] = XComModel.deserialize_value(value)
    return DagRunResult(dag.dag_id, str(run.state), tasks, returns, run.run_id)
