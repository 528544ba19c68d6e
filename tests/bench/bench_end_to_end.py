"""End to end, the way a hub runs: a Workday tenant's first load, an unchanged re-sync and a 1%
churn, each through the sync runner (`hub sync`), resolution and lifecycle evaluation, on SQLite.

Every stage prints its seconds, the rows it wrote and the process's peak RSS so far. Two figures
frame them, both measured in this process on the same tenant:
- the fetch: the connector's read alone (HTTPS to the sandbox, SOAP parsing), what any hub pays;
  a sync's floor is that read plus hashing and a plain upsert of its records (`floor.py`);
- "hub beyond fetch": sync + resolve + evaluate less the fetch, against the fetch (target <= 1x).
Resolve and evaluate each stand beside their own floor (`entity_floor.py`: the same rows derived in
plain Python and written by the driver alone, in a forked copy of this process just before).

The sandbox serves from this process, so every read includes it rendering SOAP (about a third).
`HUB_BENCH_E2E_SCALE` sets the workers (default 100,000; 20,000 is a quick run of a few minutes).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.workday.config import WorkdayConfig
from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from core import clock
from core.bench import Bench, Case
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.resolve.engine import resolve
from core.sandbox.ca import SandboxCA
from core.store.engine import open_store
from core.sync.runner import sync_stream
from core.testing.reading import tally
from tests.bench.entity_floor import Target, evaluation_floor, resolution_floor
from tests.bench.floor import Batch, Floor, RowsWritten, batched, forked, sqlite_floor

SCALE = int(os.environ.get("HUB_BENCH_E2E_SCALE", "100000"))
PAGE = 999


def _workers(connector: WorkdayConnector) -> Iterator[tuple[str, dict[str, Any], None]]:
    stream = connector.stream("workers")
    for item in stream.read(None, {}):
        if isinstance(item, dict):
            yield stream.record_key(item), item, None


def _stage(
    bench: Bench,
    hub: Hub,
    target: Target,
    label: str,
    full: bool,
    written: RowsWritten,
    floor: Floor | None = None,
) -> dict[str, Case]:
    """sync, resolve, evaluate as three cases (wall and CPU seconds, rows written in all and per
    worker read), resolve and evaluate each beside its floor; returns them by stage."""
    cases: dict[str, Case] = {}
    with bench.case(f"e2e {label}: hub sync workday/workers") as case:
        if floor is not None:
            floor.into(case)
        [run] = sync_stream(hub, "workday", "workers", full_refresh=full)
        case.records = run.read
        changed = run.counts.inserted + run.counts.updated + run.counts.deleted
        case.extra |= {
            "rows written": changed,
            "inserted": run.counts.inserted,
            "updated": run.counts.updated,
        }
    cases["sync"] = case
    floors = {
        "resolve": lambda: resolution_floor(target),
        "evaluate": lambda: evaluation_floor(target, clock.today()),
    }
    for name, step in (("resolve", resolve), ("evaluate", evaluate)):
        entity_floor = forked(floors[name])
        before = written.rows
        with bench.case(f"e2e {label}: {name}") as case:
            summary = step(hub).as_dict()
            case.records = run.read
            entity_floor.into(case)
            rows = written.rows - before
            case.extra |= {"rows written": rows, "floor rows": entity_floor.rows}
            case.extra["rows/worker"] = round(rows / max(1, run.read), 2)
            if name == "resolve":
                case.extra["held"] = summary.get("held") or "-"
            if name == "evaluate":
                case.extra["actions"] = len(summary.get("actions", []))
        cases[name] = case
    return cases


def _total(cases: dict[str, Case]) -> tuple[float, float]:
    """Wall and CPU seconds of the stages together."""
    return sum(c.seconds for c in cases.values()), sum(c.cpu_seconds for c in cases.values())


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = WorkdaySandbox(seed=7, scale=SCALE, ca=SandboxCA(Path(tmp)), workdir=Path(tmp) / "workday")
        with sandbox:
            settings = {**sandbox.instance_config(), "page_size": PAGE}
            connector = WorkdayConnector(WorkdayConfig.model_validate(settings), instance="workday")
            with bench.case(f"e2e fetch: Workday Get_Workers read alone ({SCALE:,} workers)") as case:
                case.records = tally(connector.stream("workers").read(None, {})).records
            fetch, fetch_cpu = case.seconds, case.cpu_seconds

            def floor_batches() -> Iterator[Batch]:
                return batched(_workers(connector), 500)

            floor = sqlite_floor(Path(tmp) / "floor.db", floor_batches)
            config = HubConfig.model_validate(
                {
                    "instances": [{"name": "workday", "type": "workday", "config": settings}],
                    "timezone": "America/Chicago",
                    "lifecycle": {"storm_guard": {"max_count": SCALE}},
                }
            )
            url = f"sqlite:///{Path(tmp) / 'hub.db'}"
            hub = Hub(config, open_store(url))
            written = RowsWritten(hub.store.engine)
            target = Target(url, Path(tmp) / "entity_floor.db")
            target.reset()

            # the sync's floor: the same read, its records hashed and upserted by the driver alone
            first = _stage(bench, hub, target, f"first load of {SCALE:,}", True, written, floor)
            rows = sum(first[stage].extra["rows written"] for stage in ("resolve", "evaluate"))
            bench.derived(
                "e2e first load: resolve + evaluate",
                first["resolve"].seconds + first["evaluate"].seconds,
                SCALE,
                first["resolve"].cpu_seconds + first["evaluate"].cpu_seconds,
                **{"rows written": rows, "rows/worker": round(rows / SCALE, 2)},
            )
            wall, cpu = _total(first)
            bench.derived(
                "e2e first load: hub beyond the fetch (sync + resolve + evaluate - fetch)",
                wall - fetch,
                SCALE,
                cpu - fetch_cpu,
                **{
                    "fetch s": round(fetch, 2),
                    "fetch CPU s": round(fetch_cpu, 2),
                    "x fetch": round((wall - fetch) / fetch, 2),
                    "x fetch CPU": round((cpu - fetch_cpu) / fetch_cpu, 2),
                },
            )

            _stage(bench, hub, target, "unchanged re-sync", True, written)
            churn = max(1, SCALE // 100)
            for n in range(churn):
                worker = f"E{10001 + (n * 97) % SCALE}"
                sandbox.admin("transfer", {"employee_id": worker, "title": f"Senior Analyst {n}"})
            time.sleep(0.01)  # the window the next read asks for ends on a millisecond
            churned = _stage(
                bench, hub, target, f"1% churn ({churn:,} transfers, incremental)", False, written
            )
            churn_wall, churn_cpu = _total(churned)
            bench.derived(
                "e2e 1% churn: sync + resolve + evaluate, against the first load",
                churn_wall,
                churn,
                churn_cpu,
                **{"share of first load": f"{churn_wall / wall:.1%}", "CPU share": f"{churn_cpu / cpu:.1%}"},
            )
            connector.close()
