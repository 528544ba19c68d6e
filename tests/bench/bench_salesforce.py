"""Salesforce sink throughput through the real outbox: tickets/s created, updated and read back
from the sandbox org over HTTPS (keep-alive, TLS verified), and peak RSS."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.salesforce.sink import SalesforceSink
from core.bench import Bench
from core.sandbox.ca import SandboxCA
from core.testing.sink_kit import enqueue, outbox_hub, sample_ticket
from core.tickets.outbox import deliver
from core.tickets.status_sync import sync_status

TICKETS = 2_000


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sandbox = SalesforceSandbox(seed=7, scale=200, ca=SandboxCA(workdir / "ca"), workdir=workdir / "sf")
        with sandbox:
            hub = outbox_hub(SalesforceSink, sandbox.instance_config(), f"sqlite:///{workdir / 'hub.db'}")
            keys = [f"E{20001 + i}:leaver:2031-03-14" for i in range(TICKETS)]
            for key in keys:
                enqueue(hub, sample_ticket(key), "create")
            with bench.case(f"salesforce outbox: create {TICKETS:,} Cases (find + upsert)") as case:
                summary = deliver(hub)
                case.records = summary.delivered
                case.extra["errors"] = len(summary.errors)
            later = datetime(2031, 3, 21, 17, tzinfo=UTC)
            for i, key in enumerate(keys):
                enqueue(hub, sample_ticket(key, due=later + timedelta(minutes=i)), "update")
            with bench.case(f"salesforce outbox: update {TICKETS:,} Cases (new due, tasks)") as case:
                case.records = deliver(hub).delivered
            with bench.case(f"salesforce status sync: read back {TICKETS:,} open Cases") as case:
                status = sync_status(hub)
                case.records = status.checked
                case.extra["errors"] = len(status.errors)
                case.extra["org API requests (all cases)"] = sandbox.api_used
            hub.close()


if __name__ == "__main__":
    run(Bench())
