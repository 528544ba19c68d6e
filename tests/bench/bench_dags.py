"""How long Airflow takes to parse the hub's DAG folder (the DAG processor does it continuously)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import yaml

from core.bench import Bench

ROOT = Path(__file__).resolve().parents[2]


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AIRFLOW_HOME"] = tmp
        os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
        instances = [
            {"name": name, "type": name, "config": {}}
            for name in ("workday", "munis", "office365", "aws", "azure")
        ]
        hub_yaml = Path(tmp) / "hub.yaml"
        hub_yaml.write_text(yaml.safe_dump({"instances": instances}))
        os.environ["HUB_CONFIG"] = str(hub_yaml)
        from airflow.dag_processing.dagbag import DagBag

        DagBag(dag_folder=str(ROOT / "dags"))  # warm imports: the processor keeps them loaded
        with bench.case("DAG folder parse (5 sources)") as case:
            rounds = 10
            started = time.perf_counter()
            for _ in range(rounds):
                bag = DagBag(dag_folder=str(ROOT / "dags"))
                assert not bag.import_errors, bag.import_errors
            case.records = rounds
            case.extra["ms per parse"] = round((time.perf_counter() - started) * 1000 / rounds)
            case.extra["dags"] = len(bag.dag_ids)
