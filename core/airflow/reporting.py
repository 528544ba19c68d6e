"""What an operator sees of a hub task without opening its log.

A task ends its log with a one-line summary of its counts, pushes it as the `hub_summary` XCom
(the run-notes listener, `run_notes.py`, puts it on the task instance and the DAG run) and sets
it, with the counts, as the extra of each Asset event the task emits. A failing task logs the
hub's one-line cause as the first error line of its log, before Airflow's traceback.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from core.errors import HubError
from core.http.redaction import redact_text

log = logging.getLogger("hub.airflow")
SUMMARY_KEY = "hub_summary"
MAX_CAUSE_CHARS = 500


def task_context() -> Mapping[str, Any] | None:
    """The running Airflow task's context; None outside a task (a test calling the step)."""
    try:
        from airflow.sdk import get_current_context

        return get_current_context()
    except Exception:
        return None


def params() -> Mapping[str, Any]:
    """The DAG run's params (the trigger form's values, else the DAG's defaults)."""
    context = task_context()
    return (context or {}).get("params") or {}


def report(line: str, counts: Mapping[str, Any]) -> None:
    """End the task log with `line`; push it for the run notes; put it in the Asset events."""
    log.info("%s", line)
    context = task_context()
    if context is None:
        return
    with contextlib.suppress(Exception):  # a summary is worth a line, never a task's failure
        context["ti"].xcom_push(key=SUMMARY_KEY, value=line)
    extra = {"summary": line, **{k: v for k, v in counts.items() if _plain(v)}}
    for outlet in getattr(context.get("task"), "outlets", None) or []:
        if getattr(outlet, "uri", None):
            context["outlet_events"][outlet].extra = extra


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(v, str | int | float | bool) for v in value.values())
    return value is None or isinstance(value, str | int | float | bool)


def one_line_cause(exc: BaseException) -> str:
    """The hub's cause of a failure in one line: its kind, what happened, what to do."""
    if isinstance(exc, HubError):
        text = f"{exc.kind} error: {exc.message.strip().splitlines()[0] if exc.message.strip() else exc.kind}"
        if exc.hint:
            text += f" (hint: {exc.hint.splitlines()[0]})"
    else:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = redact_text(f"unexpected {type(exc).__name__}: {first}")
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 3] + "..."


@contextlib.contextmanager
def failure_cause(label: str) -> Iterator[None]:
    """Log the hub's one-line cause first when the work inside fails, then let it propagate."""
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ in ("AirflowSkipException", "TaskDeferred"):
            raise
        line = f"{label} failed: {one_line_cause(exc)}"
        log.error("%s", line)
        context = task_context()
        if context is not None:
            with contextlib.suppress(Exception):
                context["ti"].xcom_push(key=SUMMARY_KEY, value=line)
        raise
