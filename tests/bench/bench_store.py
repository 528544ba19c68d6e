"""Staging throughput beside its floor: N new records, the same N unchanged (0 row writes), on
SQLite and PostgreSQL; and peak RSS of staging 100,000 against 1,000,000 records.

Each case's floor is the same records hashed, encoded and upserted by the driver alone
(`tests/bench/floor.py`), measured in the same process just before it. `HUB_BENCH_STORE_SCALE`
sets N (default 100,000); `HUB_BENCH_STORE_RSS=0` skips the 1M memory case (about a minute).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.bench import Bench
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run
from tests.bench.floor import Batch, batched, postgres_floor, sqlite_floor

TOTAL = int(os.environ.get("HUB_BENCH_STORE_SCALE", "100000"))
BATCH = 500
#: issue 22: staging 1M records may take at most this many times the peak RSS of staging 100k
RSS_TARGET = 1.2
#: the bench empties this database (its public schema): point it at one nobody else is using
PG_URL = os.environ.get("HUB_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _records(total: int, version: str = "v1") -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for i in range(total):
        payload = {
            "Employee_ID": f"E{i:07d}",
            "Legal_Name": f"Worker {i}",
            "Status": "Active",
            "v": version,
            "Email": f"worker{i}@example.gov",
            "Org": f"ORG{i % 40}",
            "Hire_Date": "2020-01-01",
        }
        fragment = {
            "employee_id": payload["Employee_ID"],
            "family_name": payload["Legal_Name"],
            "status": "active",
        }
        yield payload["Employee_ID"], payload, fragment


def _batches(total: int = TOTAL, version: str = "v1") -> Iterator[Batch]:
    return batched(_records(total, version), BATCH)


def _load(store: Any, total: int = TOTAL, version: str = "v1") -> RecordWriter:
    run_id = start_run(
        store, instance="bench", stream="workers", partition="", state_before=None, full_refresh=False
    )
    writer = RecordWriter(store, "bench", "workers", "", run_id)
    for n, batch in enumerate(_batches(total, version)):
        staged = [StagedRecord(k, p, "person", f, content_hash(p, f)) for k, p, f in batch]
        writer.write_batch(staged, state={"cursor": str(n)})
    return writer


def _cases(bench: Bench, label: str, store: Any, floor: Any) -> None:
    """The floor runs first, then the hub on the same records: new, then again unchanged."""
    new_floor = floor()
    with bench.case(f"store ({label}): stage {TOTAL:,} new records") as case:
        writer = _load(store)
        case.records, case.extra["inserted"] = TOTAL, writer.counts.inserted
        new_floor.into(case)
    unchanged_floor = floor()
    with bench.case(f"store ({label}): re-stage the same {TOTAL:,} unchanged") as case:
        writer = _load(store)
        case.records, case.extra["row writes"] = TOTAL, writer.counts.inserted + writer.counts.updated
        unchanged_floor.into(case)


def _rss_child(total: int) -> float:
    """Peak RSS (MB) of a fresh process staging `total` records into a fresh SQLite store."""
    code = (
        "import resource, sys, tempfile, pathlib\n"
        "from core.store.engine import open_store\n"
        "from tests.bench.bench_store import _load\n"
        "with tempfile.TemporaryDirectory() as tmp:\n"
        "    _load(open_store(f'sqlite:///{pathlib.Path(tmp) / \"rss.db\"}'), int(sys.argv[1]))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(total)], capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        _cases(bench, "SQLite", store, lambda: sqlite_floor(Path(tmp) / "floor.db", _batches))
    if os.environ.get("HUB_BENCH_STORE_RSS", "1") != "0":
        name = (
            f"store (SQLite): peak RSS staging 1,000,000 vs 100,000 records (target 1M/100k <= {RSS_TARGET}x)"
        )
        with bench.case(name) as case:
            small, large = _rss_child(100_000), _rss_child(1_000_000)
            case.records = 1_100_000
            ratio = large / small
            case.extra |= {"100k MB": round(small), "1M MB": round(large), "1M/100k": round(ratio, 2)}
            case.extra["within target"] = "yes" if ratio <= RSS_TARGET else "NO"
    try:
        from tests.conftest import _reset_postgres

        _reset_postgres(PG_URL)
    except Exception as exc:
        print(f"PostgreSQL bench skipped: {exc}")
        return
    store = open_store(PG_URL)
    _cases(bench, "PostgreSQL", store, lambda: postgres_floor(PG_URL, _batches))
