"""What each Airflow task calls: one idempotent unit of engine work, returning a small summary.

Tasks get names (instance, stream, partition), never configs or secrets; the hub context is
built in the worker from `hub.yaml` (`HUB_CONFIG`, default `./hub.yaml`). Return values go to
XCom, so they hold counts and IDs only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.connector.contracts import Partition, SourceConnector
from core.errors import ConfigError
from core.hub import Hub


def config_path() -> Path:
    return Path(os.environ.get("HUB_CONFIG", "hub.yaml"))


def hub_from_env() -> Hub:
    _mask_in_task_logs()
    path = config_path()
    if not path.exists():
        raise ConfigError(
            f"hub config {path} not found", hint="set HUB_CONFIG to the hub.yaml the DAGs should run"
        )
    return Hub.load(path)


def _mask_in_task_logs() -> None:
    """Secrets the hub reveals (an `{env: ...}` one is unknown to Airflow) are masked by Airflow's
    task-log masker too, and the hub's redaction filter sits on the task process's handlers.

    Only where Airflow already set its logging up: importing `airflow.sdk.log` configures the
    root logger, which must not happen to a process (a test, the CLI) that owns its logging."""
    import sys

    from core.logs import redact_handlers
    from core.secrets import on_reveal

    airflow_log = sys.modules.get("airflow.sdk.log")
    if airflow_log is not None:
        on_reveal(airflow_log.mask_secret)
    redact_handlers()


def stream_partitions(instance: str, stream: str) -> list[Partition]:
    """The stream's independent units of work (AWS account x region, Azure subscription)."""
    hub = hub_from_env()
    connector = hub.connector(instance)
    if not isinstance(connector, SourceConnector):
        raise ConfigError(f"instance {instance!r} is not a source")
    return connector.stream(stream).partitions()


def sync_partition(instance: str, stream: str, partition: Partition) -> dict[str, Any]:
    """Sync one partition; raises on failure (Airflow retries it alone)."""
    from core.connector.contracts import partition_id
    from core.sync.progress import LoggedProgress
    from core.sync.runner import sync_stream

    hub = hub_from_env()
    label = f"{instance}/{stream}" + (f" [{partition_id(partition)}]" if partition else "")
    summaries = sync_stream(hub, instance, stream, partition=partition, progress=LoggedProgress(label))
    return summaries[0].as_dict()


def resolve_step() -> dict[str, Any]:
    from core.resolve.engine import resolve

    return resolve(hub_from_env()).as_dict()


def lifecycle_step() -> dict[str, Any]:
    from core.lifecycle.engine import evaluate

    return evaluate(hub_from_env()).as_dict()


def deliver_step() -> dict[str, Any]:
    from core.tickets.outbox import deliver

    return deliver(hub_from_env()).as_dict()


def ticket_status_step() -> dict[str, Any]:
    from core.tickets.status_sync import sync_status

    return sync_status(hub_from_env()).as_dict()


def deadline_step() -> dict[str, Any]:
    from core.lifecycle.deadlines import deadline_report

    report = deadline_report(hub_from_env().store)
    return {k: v for k, v in report.items() if not isinstance(v, list)} | {
        "breaches": len(report.get("breaches", [])),
        "overdue": len(report.get("overdue", [])),
    }
