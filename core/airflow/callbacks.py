"""Failure notifications for hub DAGs: the DAG, task, error summary and a link to the log.

The error text comes from the engine's exceptions, which never carry secrets (HttpClient redacts
and `Secret` never renders); it is still cut short, because a notification is a pointer to the
log, not the log.
"""

from __future__ import annotations

import logging
from typing import Any

from core.airflow.reporting import one_line_cause
from core.connector.sink import NotificationEvent

log = logging.getLogger("hub.airflow")
MAX_ERROR_CHARS = 300


def failure_event(context: dict[str, Any]) -> NotificationEvent:
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    error = context.get("exception")
    # the same line the task log starts its errors with (`reporting.failure_cause`)
    summary = one_line_cause(error) if error else "no exception recorded"
    if len(summary) > MAX_ERROR_CHARS:
        summary = summary[:MAX_ERROR_CHARS] + "..."
    where = f"{task_id}[{map_index}]" if map_index not in (-1, None) else task_id
    event = NotificationEvent(
        kind="run_failed",
        title=f"Hub DAG {dag_id} failed at {where} (try {getattr(ti, 'try_number', '?')})",
        text=f"{summary}. Every hub task is idempotent: fix the cause, then clear the task to rerun it.",
    )
    link = getattr(ti, "log_url", None)
    if link:
        event["link"] = link
    return event


def notify_failure(context: dict[str, Any]) -> None:
    """Airflow `on_failure_callback`: send to the configured notifier; never raise."""

    send_safely(failure_event(context))


def send_safely(event: NotificationEvent) -> None:
    """Send to the configured notifier; a callback must never fail the scheduler's bookkeeping."""
    from core.airflow.runtime import hub_from_env
    from core.tickets.sinks import notifier

    try:
        sender = notifier(hub_from_env())
        if sender is not None:
            sender.notify(event)
    except Exception as exc:
        log.warning("%s notification not sent: %s", event["kind"], exc)


def deadline_event(dag_id: str, max_run_minutes: int) -> NotificationEvent:
    return NotificationEvent(
        kind="run_late",
        title=f"Hub DAG {dag_id} is still running {max_run_minutes} minute{'s' if max_run_minutes != 1 else ''} "
        "after it was queued",
        text="Check the running task's log for long Retry-After waits or a stuck source; "
        "every hub task is idempotent, so clearing and rerunning is safe.",
    )


def notify_deadline_missed(dag_id: str, max_run_minutes: int, **_: Any) -> None:
    """Deadline-alert callback (Airflow 3's successor of SLA misses); never raises."""
    send_safely(deadline_event(dag_id, max_run_minutes))
