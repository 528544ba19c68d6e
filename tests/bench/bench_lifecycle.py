"""Resolution and lifecycle at agency-and-beyond scale: `HUB_BENCH_PERSONS` persons (default
100,000) loaded, then 1% of them terminated three days ago; and a pass with nothing changed, which
must write nothing.

Each resolve and evaluate case stands beside its floor (`tests/bench/entity_floor.py`): the same
rows derived in plain Python and written by the driver alone into bare keyed tables, measured in a
forked copy of this process just before the case. Every case says what it wrote and planned, so a
pass that did nothing (a held stream, a termination outside the window) shows as a zero.

The stream's mass-change guard allows the 1% (its count limit, 50 by default, would hold 200
leavers of 20,000, and the pass would then resolve and plan nothing): the guard still reads every
pending record, so its cost stays in the figure.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from core import clock
from core.bench import Bench, Case
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run
from tests.bench.entity_floor import Target, evaluation_floor, resolution_floor
from tests.bench.floor import RowsWritten, forked

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
        # inside the window leavers are ticketed in (a fixed date would fall out of it in two weeks)
        fields["termination_date"] = (clock.today() - timedelta(days=3)).isoformat()
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


def _resolve(bench: Bench, hub: Hub, target: Target, written: RowsWritten, name: str) -> dict[str, Any]:
    floor = forked(lambda: resolution_floor(target))
    before = written.rows
    with bench.case(name) as case:
        summary = resolve(hub).as_dict()
        case.records = summary["records"]
        _beside(case, written.rows - before, floor.rows)
        floor.into(case)
        case.extra |= {
            "created": sum(summary["created"].values()),
            "updated": sum(summary["updated"].values()),
        }
        case.extra["held"] = ", ".join(summary["held"]) or "-"
    return summary


def _evaluate(bench: Bench, hub: Hub, target: Target, written: RowsWritten, name: str) -> dict[str, Any]:
    floor = forked(lambda: evaluation_floor(target, clock.today()))
    before = written.rows
    with bench.case(name) as case:
        result = evaluate(hub).as_dict()
        case.records = TOTAL
        _beside(case, written.rows - before, floor.rows)
        floor.into(case)
        case.extra |= {"events": _events(result), "tickets": len(result["actions"])}
    return result


def _beside(case: Case, rows: int, floor_rows: int) -> None:
    case.extra |= {"rows written": rows, "floor rows": floor_rows, "rows/person": round(rows / TOTAL, 2)}


def _events(result: dict[str, Any]) -> str:
    """Events by kind (`open:leaver=200`), the suppressed existing staff's records included."""
    return " ".join(f"{kind}={n:,}" for kind, n in sorted(result["events"].items())) or "0"


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = HubConfig.model_validate(
            {
                "instances": [
                    {
                        "name": "workday",
                        "type": "workday",
                        "streams": {"workers": {"guard": {"max_count": None}}},
                    }
                ],
                "timezone": "America/Chicago",
                "lifecycle": {"storm_guard": {"max_count": TOTAL}},
                "resolution": {},
            }
        )
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        hub = Hub(config, open_store(url))
        target = Target(url, Path(tmp) / "floor.db")
        target.reset()
        written = RowsWritten(hub.store.engine)
        with bench.case(f"stage {TOTAL:,} persons (SQLite)") as case:
            _stage(hub, set())
            case.records = TOTAL
        _resolve(bench, hub, target, written, f"resolve {TOTAL:,} persons, initial load")
        _evaluate(bench, hub, target, written, f"lifecycle: evaluate initial load of {TOTAL:,}")
        changed = set(range(0, TOTAL, int(1 / CHANGED_SHARE)))
        _stage(hub, changed)
        summary = _resolve(bench, hub, target, written, f"resolve with 1% changed ({len(changed):,} leavers)")
        result = _evaluate(
            bench, hub, target, written, f"lifecycle: evaluate 1% changed ({len(changed):,} leavers)"
        )
        if summary["held"] or not result["actions"]:
            raise RuntimeError(
                f"{len(changed):,} leavers planned {len(result['actions'])} tickets "
                f"(held: {summary['held'] or 'none'}): the case measured nothing"
            )
        before = written.rows
        with bench.case("resolve + evaluate with nothing changed") as case:
            resolve(hub)
            evaluate(hub)
            case.records = TOTAL
            case.extra["rows written"] = written.rows - before
