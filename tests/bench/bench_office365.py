"""Microsoft 365 connector throughput against the sandbox tenant: the initial users delta round of
the whole tenant, a delta round after 1% of users changed (it must request only the changes:
delta pages of changed users plus `$batch` reads of their full records), and the Intune devices
snapshot; records/s, Graph requests and peak RSS.

The sandbox serves from the same process, so the figures include building the tenant's answers
and the RSS includes the tenant itself; `HUB_BENCH_OFFICE365_SCALE` sets the number of people in
the roster (default 100,000).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from connectors.office365.config import Office365Config
from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from core.bench import Bench
from core.sandbox.ca import SandboxCA
from core.testing.reading import tally

SCALE = int(os.environ.get("HUB_BENCH_OFFICE365_SCALE", "100000"))


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Office365Sandbox(seed=7, scale=SCALE, ca=SandboxCA(Path(tmp)), workdir=Path(tmp) / "o365")
        with sandbox:
            config = Office365Config.model_validate(sandbox.instance_config())
            connector = Office365Connector(config, instance="office365")
            users = connector.stream("users")
            http = connector.client.http
            live = sandbox.counts()["users"]
            with bench.case(f"office365 users: initial delta round ({live:,} users)") as case:
                done = tally(users.read(None, {}))
                case.records, state = done.records, done.state
                case.extra["graph_requests"] = http.request_count
            changed = set(sandbox.tenant.live_ids()[::100])
            for n, user_id in enumerate(sorted(changed)):
                sandbox.admin(
                    "update_user", {"user": user_id, "changes": {"jobTitle": f"Senior Analyst {n}"}}
                )
            before = http.request_count
            with bench.case(f"office365 users: delta round after 1% changed ({len(changed):,})") as case:
                done = tally(users.read(state, {}), key="id")
                case.records, state, ids = done.records, done.state, done.keys
                case.extra["graph_requests"] = http.request_count - before
                case.extra["only_changed"] = ids == changed
            before = http.request_count
            devices = connector.stream("managed_devices")
            with bench.case(
                f"office365 managed_devices: snapshot ({sandbox.counts()['devices']:,} devices)"
            ) as case:
                case.records = tally(devices.read(None, {})).records
                case.extra["graph_requests"] = http.request_count - before
            connector.close()
