"""Declarative sources against the generic fixture sandbox: BambooHR's first round (the directory
and one read per employee) and a round of changes; and a `since`-filtered listing with offset
paging at 100,000 records, whose memory must stay flat. Records/s, requests and peak RSS.

BambooHR's definition caps requests at 5 per second (the vendor's budget); the benchmark measures
the hub, so it reads a copy without the cap. `HUB_BENCH_BAMBOOHR_SCALE` (default 2,000) and
`HUB_BENCH_DECLARATIVE_SCALE` (default 100,000) set the sizes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from core.bench import Bench
from core.declarative.connector import file_source
from core.sandbox.ca import SandboxCA
from core.sandbox.fleet import sandbox_class
from core.testing.reading import tally

REPO = Path(__file__).resolve().parents[2]
BAMBOOHR_SCALE = int(os.environ.get("HUB_BENCH_BAMBOOHR_SCALE", "2000"))
LISTING_SCALE = int(os.environ.get("HUB_BENCH_DECLARATIVE_SCALE", "100000"))
PEOPLE_API: dict[str, Any] = {
    "version": 1,
    "name": "bench_people",
    "title": "People API (benchmark)",
    "base_url": "https://people.example.org/v1/",
    "config": {"api_key": {"secret": True}},
    "auth": {"type": "api_key", "header": "X-API-Key", "value": "{config.api_key}"},
    "streams": {
        "people": {
            "request": {"path": "people"},
            "records": "data",
            "primary_key": ["id"],
            "paginator": {"type": "offset", "limit": 1000, "total_path": "total"},
            "since": {"param": "updated_since", "cursor_field": "updated_at"},
        }
    },
    "sandbox": {
        "streams": {
            "people": {
                "record": {
                    "id": "{number:d}",
                    "employee_number": "{employee_id}",
                    "name": "{given_name} {family_name}",
                    "updated_at": "{changed_at:%Y-%m-%dT%H:%M:%SZ}",
                }
            }
        }
    },
}


def _served(definition: Path, scale: int, tmp: Path) -> tuple[Any, Any]:
    cls = file_source(definition)
    sandbox = sandbox_class(cls)(seed=7, scale=scale, ca=SandboxCA(tmp), workdir=tmp / cls.type_name)
    sandbox.start()
    connector = cls(cls.config_model.model_validate(sandbox.instance_config()), instance=cls.type_name)
    return sandbox, connector


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        document = yaml.safe_load(
            (REPO / "connectors" / "bamboohr" / "source.yaml").read_text(encoding="utf-8")
        )
        document.pop("rate_limit")
        (tmp / "bamboohr.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
        sandbox, connector = _served(tmp / "bamboohr.yaml", BAMBOOHR_SCALE, tmp)
        stream = connector.stream("employees")
        with bench.case(f"bamboohr employees: directory + one read each ({BAMBOOHR_SCALE:,})") as case:
            done = tally(stream.read(None, {}))
            case.records, state = done.records, done.state
            case.extra["requests"] = connector.http.request_count
        with sandbox.lock:
            sandbox.kit_change("employees", max(1, BAMBOOHR_SCALE // 100))
        before = connector.http.request_count
        with bench.case("bamboohr employees: changed ids since the cursor (1% changed)") as case:
            case.records = tally(stream.read(state, {})).records
            case.extra["requests"] = connector.http.request_count - before
        connector.close()
        sandbox.stop()

        (tmp / "people.yaml").write_text(yaml.safe_dump(PEOPLE_API), encoding="utf-8")
        sandbox, connector = _served(tmp / "people.yaml", LISTING_SCALE, tmp)
        with bench.case(f"declarative since-listing, offset pages of 1,000 ({LISTING_SCALE:,})") as case:
            done = tally(connector.stream("people").read(None, {}))
            case.records = done.records
            case.extra["requests"] = connector.http.request_count
        connector.close()
        sandbox.stop()
