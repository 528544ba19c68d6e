"""What each Airflow task calls: one idempotent unit of engine work, returning a small summary.

Tasks get names (instance, stream, partition), never configs or secrets; the hub context is
built in the worker from `hub.yaml` (`HUB_CONFIG`, default `./hub.yaml`). Return values go to
XCom, so they hold counts and IDs only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from core.airflow.reporting import failure_cause, params, report
from core.connector.contracts import Partition, SourceConnector
from core.errors import ConfigError
from core.hub import Hub

log = logging.getLogger("hub.airflow")


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
    """The stream's independent units of work (AWS account x region, Azure subscription); none
    when the run's params ask for another stream or for one employee (provisioning on demand),
    so its sync task is skipped and emits no Asset event."""
    chosen = params()
    if chosen.get("employee") or chosen.get("stream") not in (None, "", stream):
        log.info("%s/%s: not in this run (params: %s)", instance, stream, dict(chosen))
        return []
    with failure_cause(f"partitions of {instance}/{stream}"):
        connector = hub_from_env().connector(instance)
        if not isinstance(connector, SourceConnector):
            raise ConfigError(f"instance {instance!r} is not a source")
        return connector.stream(stream).partitions()


def sync_partition(instance: str, stream: str, partition: Partition) -> dict[str, Any]:
    """Sync one partition (from the start when the run's `full_refresh` param says so); raises on
    failure (Airflow retries it alone)."""
    from core.connector.contracts import partition_id
    from core.sync.progress import LoggedProgress
    from core.sync.runner import sync_stream

    label = f"{instance}/{stream}" + (f" [{partition_id(partition)}]" if partition else "")
    with failure_cause(f"sync {label}"):
        hub = hub_from_env()
        full_refresh = bool(params().get("full_refresh"))
        summaries = sync_stream(
            hub,
            instance,
            stream,
            partition=partition,
            full_refresh=full_refresh,
            progress=LoggedProgress(label),
        )
    report(summaries[0].line(), summaries[0].as_dict())
    return summaries[0].as_dict()


def provision_step(instance: str) -> dict[str, Any]:
    """Provision the run's `employee` param on demand (read, resolve, evaluate, deliver just that
    person); skipped when the run names no employee."""
    from airflow.sdk.exceptions import AirflowSkipException

    from core.provision import apply, plan, plan_lines

    employee = str(params().get("employee") or "").strip()
    if not employee:
        raise AirflowSkipException("no employee param: this run syncs the streams instead")
    with failure_cause(f"provision {employee} from {instance}"):
        hub = hub_from_env()
        planned = plan(hub, instance, employee)
        for line in plan_lines(planned):
            log.info("%s", line)
        result = apply(hub, planned)
    report(result.line(), {"delivered": result.delivered, "failed": result.failed})
    return result.as_dict()


def resolve_step() -> dict[str, Any]:
    from core.resolve.engine import resolve

    with failure_cause("resolve"):
        summary = resolve(hub_from_env())
    report(summary.line(), summary.as_dict())
    return summary.as_dict()


def lifecycle_step() -> dict[str, Any]:
    from core.lifecycle.engine import evaluate

    with failure_cause("evaluate"):
        summary = evaluate(hub_from_env())
    report(summary.line(), summary.as_dict())
    return summary.as_dict()


def deliver_step() -> dict[str, Any]:
    from core.tickets.outbox import deliver

    with failure_cause("deliver"):
        summary = deliver(hub_from_env())
    report(summary.line(), summary.as_dict())
    return summary.as_dict()


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
