"""Notes from the hub's summaries: each task instance's note is its one-line summary, the DAG
run's note all of them, written when a hub run finishes (success or failure).

A scheduler-side listener, because a task (Airflow 3's Task SDK) cannot write notes itself: the
tasks push their line as the `hub_summary` XCom (`reporting.py`) and this writes it in the
scheduler's own session, committed with the run's final state. A note an operator wrote is
never overwritten.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

from core.airflow.reporting import SUMMARY_KEY

log = logging.getLogger("hub.airflow")
MAX_NOTE_CHARS = 1000  # Airflow's note column limit


def run_summaries(dag_run: Any, session: Any) -> dict[tuple[str, int], str]:
    """(task id, map index) -> the summary line each task of the run pushed."""
    import sqlalchemy as sa
    from airflow.models.xcom import XComModel

    rows = session.scalars(
        sa.select(XComModel).where(
            XComModel.dag_id == dag_run.dag_id,
            XComModel.run_id == dag_run.run_id,
            XComModel.key == SUMMARY_KEY,
        )
    )
    return {(row.task_id, row.map_index): str(XComModel.deserialize_value(row)) for row in rows}


def write_notes(dag_run: Any) -> None:
    """Put the run's summaries on its task instances and on the run (see module doc), in the
    session that is finishing the run (the scheduler's, or `dag.test()`'s thread session), so
    they commit with its state and no second connection waits on the first's lock."""
    import sqlalchemy as sa
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy.orm import object_session

    if not str(dag_run.dag_id).startswith("hub_"):
        return
    session = object_session(dag_run) or settings.Session()  # type: ignore[misc]
    lines = run_summaries(dag_run, session)
    if not lines:
        return
    ti = TaskInstance
    for each in session.scalars(
        sa.select(ti).where(ti.dag_id == dag_run.dag_id, ti.run_id == dag_run.run_id)
    ):
        line = lines.get((each.task_id, each.map_index))
        if line and not each.note:
            each.note = _clip(line)
    run = dag_run if object_session(dag_run) is session else session.get(DagRun, dag_run.id)
    if run is not None and not run.note:
        run.note = _clip("\n".join(lines[key] for key in sorted(lines)))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_NOTE_CHARS else text[: MAX_NOTE_CHARS - 3] + "..."


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _safely(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _safely(dag_run)


def _safely(dag_run: Any) -> None:
    try:
        write_notes(dag_run)
    except Exception as exc:  # a note is a convenience: never the scheduler's failure
        log.warning("hub run notes not written for %s: %s", getattr(dag_run, "run_id", "?"), exc)


class HubRunNotesPlugin(AirflowPlugin):
    """Registered through the `airflow.plugins` entry point."""

    name = "hub_run_notes"
    listeners = [sys.modules[__name__]]
