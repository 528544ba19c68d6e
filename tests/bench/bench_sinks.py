"""Ticket sinks through the real outbox: tickets/s created (find + create + 2 tasks), updated (due
moved, tasks closed) and read back by status sync, against each sandbox over HTTPS (TLS
verified, keep-alive), and peak RSS. TeamDynamix runs once with its limits off and once under a
per-method limit of 60 calls per 6 s (its 60/min window compressed tenfold)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.jira_sm.sandbox import JiraSandbox
from connectors.jira_sm.sink import JiraServiceManagementSink
from connectors.servicenow.sandbox import ServiceNowSandbox
from connectors.servicenow.sink import ServiceNowSink
from connectors.teamdynamix.sandbox import TeamDynamixSandbox
from connectors.teamdynamix.sink import TeamDynamixSink
from core.bench import Bench
from core.connector.sink import TaskPayload, TicketSink
from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA
from core.testing.sink_kit import enqueue, outbox_hub, sample_ticket
from core.tickets.outbox import deliver
from core.tickets.status_sync import sync_status

TICKETS = 500
THROTTLED_TICKETS = 60
DONE: list[TaskPayload] = [
    {"title": "Disable directory account", "state": "closed"},
    {"title": "Collect laptop SN-40213", "state": "open"},
]


def _outbox_cases(
    bench: Bench,
    name: str,
    sink_cls: type[TicketSink],
    sandbox: Sandbox,
    workdir: Path,
    count: int,
    label: str = "",
) -> None:
    hub = outbox_hub(sink_cls, sandbox.instance_config(), f"sqlite:///{workdir / f'{name}{label}.db'}")
    try:
        keys = [f"E{30001 + i}:leaver:2031-03-14{label}" for i in range(count)]
        for key in keys:
            enqueue(hub, sample_ticket(key), "create")
        with bench.case(f"{name} outbox{label}: create {count:,} tickets (find + create + 2 tasks)") as case:
            summary = deliver(hub)
            case.records = summary.delivered
            case.extra["errors"] = len(summary.errors)
        later = datetime(2031, 3, 21, 17, tzinfo=UTC)
        for i, key in enumerate(keys):
            enqueue(hub, sample_ticket(key, due=later + timedelta(minutes=i), tasks=DONE), "update")
        with bench.case(f"{name} outbox{label}: update {count:,} tickets (due moved, a task closed)") as case:
            case.records = deliver(hub).delivered
        with bench.case(f"{name} status sync{label}: read back {count:,} open tickets") as case:
            status = sync_status(hub)
            case.records = status.checked
            case.extra["errors"] = len(status.errors)
    finally:
        hub.close()


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ca = SandboxCA(workdir / "ca")
        plans: list[tuple[str, type[TicketSink], Any]] = [
            ("servicenow", ServiceNowSink, ServiceNowSandbox),
            ("jira_sm", JiraServiceManagementSink, JiraSandbox),
            ("teamdynamix", TeamDynamixSink, TeamDynamixSandbox),
        ]
        for name, sink_cls, sandbox_cls in plans:
            sandbox = sandbox_cls(seed=7, scale=200, ca=ca, workdir=workdir / name)
            with sandbox:
                if name == "teamdynamix":
                    sandbox.admin("set_rate_limit", {})
                _outbox_cases(bench, name, sink_cls, sandbox, workdir, TICKETS)
                if name == "teamdynamix":
                    sandbox.admin("set_rate_limit", {"limit": 60, "window_seconds": 6})
                    _outbox_cases(
                        bench, name, sink_cls, sandbox, workdir, THROTTLED_TICKETS, " (60 calls/6 s)"
                    )


if __name__ == "__main__":
    run(Bench())
