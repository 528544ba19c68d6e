"""Workday connector throughput against the sandbox tenant: a first full read of every worker by
SOAP Get_Workers (pages of 999), an incremental read after 1% of workers changed (it must fetch
only those), and the RaaS report as a full snapshot; records/s and peak RSS.

The sandbox serves from the same process, so the figures include rendering the SOAP answers;
`HUB_BENCH_WORKDAY_SCALE` sets the number of workers (default 100,000).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from connectors.workday.config import WorkdayConfig
from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from core.bench import Bench
from core.sandbox.ca import SandboxCA
from core.testing.reading import tally

SCALE = int(os.environ.get("HUB_BENCH_WORKDAY_SCALE", "100000"))


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = WorkdaySandbox(seed=7, scale=SCALE, ca=SandboxCA(Path(tmp)), workdir=Path(tmp) / "workday")
        with sandbox:
            config = WorkdayConfig.model_validate({**sandbox.instance_config(), "page_size": 999})
            connector = WorkdayConnector(config, instance="workday")
            stream = connector.stream("workers")
            with bench.case(
                f"workday workers: first full read, SOAP Get_Workers ({SCALE:,} workers)"
            ) as case:
                done = tally(stream.read(None, {}))
                case.records, state = done.records, done.state
                case.extra["soap_calls"] = connector.client.soap_calls
            changed = {f"E{10001 + (i * 97) % SCALE}" for i in range(max(1, SCALE // 100))}
            for n, worker_id in enumerate(sorted(changed)):
                sandbox.admin("transfer", {"employee_id": worker_id, "title": f"Senior Analyst {n}"})
            time.sleep(0.01)  # the window sent ends on a millisecond: let the last entry fall inside it
            calls = connector.client.soap_calls
            with bench.case(f"workday workers: incremental read after 1% changed ({len(changed):,})") as case:
                done = tally(stream.read(state, {}), key="Worker_ID")
                case.records, state, ids = done.records, done.state, done.keys
                case.extra["soap_calls"] = connector.client.soap_calls - calls
                case.extra["only_changed"] = ids == changed
            report = WorkdayConnector(config.model_copy(update={"transport": "raas"}), instance="workday")
            with bench.case(f"workday workers: RaaS report full snapshot ({SCALE:,} workers)") as case:
                case.records = tally(report.stream("workers").read(None, {})).records
            connector.close()
            report.close()
