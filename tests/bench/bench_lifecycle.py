"""Resolution and lifecycle at agency-and-beyond scale: 100,000 persons loaded, then 1% of them
terminated; and a pass with nothing changed, which must write nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.bench import Bench
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run
from core.store.schema import change_log, lifecycle_events, outbox, tickets

TOTAL = int(os.environ.get("HUB_BENCH_PERSONS", "100000"))
BATCH = 1000
CHANGED_SHARE = 0.01


def _person(i: int, terminated: bool) -> dict[str, Any]:
    fields = {
        "employee_id": f"E{i:06d}",
        "given_name": "Worker",
        "family_name": f"Number {i}",
        "work_email": f"worker{i}@agency.example.gov",
        "status": "terminated" if terminated else "active",
        "worker_type": "employee",
        "hire_date": "2019-05-06",
        "org_unit": f"ORG{i % 40}",
        "title": "Analyst",
        "manager_employee_id": f"E{i - i % 40:06d}",
    }
    if terminated:
        fields["termination_date"] = "2026-12-04"
    return fields


def _stage(hub: Hub, changed: set[int]) -> None:
    run_id = start_run(
        hub.store, instance="workday", stream="workers", partition="", state_before=None, full_refresh=False
    )
    writer = RecordWriter(hub.store, "workday", "workers", "", run_id)
    for start in range(0, TOTAL, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, TOTAL)):
            fields = _person(i, i in changed)
            batch.append(
                StagedRecord(fields["employee_id"], fields, "person", fields, content_hash(fields, fields))
            )
        writer.write_batch(batch, state={"cursor": str(start)})


def _writes(hub: Hub) -> int:
    with hub.store.engine.connect() as conn:
        return sum(
            int(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
            for t in (change_log, lifecycle_events, outbox, tickets)
        )


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = HubConfig.model_validate(
            {
                "instances": [{"name": "workday", "type": "workday"}],
                "timezone": "America/Chicago",
                "lifecycle": {"storm_guard": {"max_count": TOTAL}},
                "resolution": {},
            }
        )
        hub = Hub(config, open_store(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        with bench.case(f"stage {TOTAL:,} persons (SQLite)") as case:
            _stage(hub, set())
            case.records = TOTAL
        with bench.case(f"resolve {TOTAL:,} persons, initial load") as case:
            summary = resolve(hub)
            case.records = TOTAL
            case.extra["created"] = summary.as_dict().get("created")
        with bench.case(f"lifecycle: evaluate initial load of {TOTAL:,}") as case:
            result = evaluate(hub).as_dict()
            case.records = TOTAL
            case.extra["tickets"] = len(result["actions"])
        changed = set(range(0, TOTAL, int(1 / CHANGED_SHARE)))
        _stage(hub, changed)
        with bench.case(f"resolve + evaluate with 1% changed ({len(changed):,} leavers)") as case:
            resolve(hub)
            result = evaluate(hub).as_dict()
            case.records = TOTAL
            case.extra["offboarding planned"] = len(result["actions"])
        before = _writes(hub)
        with bench.case("resolve + evaluate with nothing changed") as case:
            resolve(hub)
            evaluate(hub)
            case.records = TOTAL
            case.extra["rows written"] = _writes(hub) - before
