"""Example connector (the Python template) against its sandbox: a first full read of every person
(pages of 1,000) and an incremental read after 1% changed; records/s and peak RSS.

`HUB_BENCH_EXAMPLE_SCALE` sets the number of people (default 100,000).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from connectors.example.config import ExampleConfig
from connectors.example.connector import ExampleConnector
from connectors.example.sandbox import ExampleSandbox
from core.bench import Bench
from core.sandbox.ca import SandboxCA
from core.testing.reading import tally

SCALE = int(os.environ.get("HUB_BENCH_EXAMPLE_SCALE", "100000"))


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = ExampleSandbox(seed=7, scale=SCALE, ca=SandboxCA(Path(tmp)), workdir=Path(tmp) / "example")
        with sandbox:
            config = ExampleConfig.model_validate({**sandbox.instance_config(), "page_size": 1000})
            connector = ExampleConnector(config, instance="example")
            stream = connector.stream("people")
            with bench.case(f"example people: first full read ({SCALE:,} people, pages of 1,000)") as case:
                done = tally(stream.read(None, {}))
                case.records, state = done.records, done.state
                case.extra["requests"] = connector.client.http.request_count
            changed = max(1, SCALE // 100)
            with sandbox.lock:
                sandbox.kit_change("people", changed)
            before = connector.client.http.request_count
            with bench.case(f"example people: incremental read after 1% changed ({changed:,})") as case:
                done = tally(stream.read(state, {}))
                case.records = done.records
                case.extra["requests"] = connector.client.http.request_count - before
                case.extra["only_changed"] = done.records == changed
            connector.close()
