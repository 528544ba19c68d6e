"""Counts where operators look, through real `dag.test()` runs: each hub task's one-line summary
ends up on its task instance note, the DAG run note and its Asset event's extra; the trigger
form's params choose a stream, a full refresh or one employee (provisioning on demand)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.airflow.test_dags import example_sandbox, hub_yaml  # noqa: F401 - fixtures

pytestmark = pytest.mark.airflow
ROOT = Path(__file__).resolve().parents[2]


def _dags(path: Path) -> dict[str, Any]:
    from core.airflow.factory import build_dags, ensure_pools
    from core.config.hub_config import load_hub_config

    config = load_hub_config(path)
    ensure_pools(config)
    return build_dags(config, deadlines=False)


def _notes_and_events(dag_id: str, run_id: str) -> tuple[str | None, dict[str, str | None], list[dict]]:
    from airflow.models.asset import AssetEvent
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.scalars(sa.select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)).one()
        notes = {
            ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): ti.note
            for ti in run.get_task_instances(session=session)
        }
        events = session.scalars(
            sa.select(AssetEvent).where(
                AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id
            )
        ).all()
        return run.note, notes, [dict(e.extra or {}) for e in events]


def test_a_failed_task_logs_the_hubs_cause_as_its_first_error_line(
    hub_yaml: Path,  # noqa: F811
    airflow_metadata_db: str,
    example_sandbox: Any,  # noqa: F811
) -> None:
    import yaml

    document = yaml.safe_load(hub_yaml.read_text())
    document["instances"][0]["config"] |= example_sandbox.bad_credentials()
    hub_yaml.write_text(yaml.safe_dump(document))
    # in a process of its own, as a task runs: Airflow binds its task log to the stream of the
    # first `dag.test()` of a process, so an earlier test's run would keep this log to itself
    script = (
        "import json, sys; from tests.airflow.test_run_summaries import _dags; "
        "from core.demo.local_airflow import run_dag; "
        f"dag = _dags(__import__('pathlib').Path({str(hub_yaml)!r}))['hub_sync_directory']; "
        "[setattr(t, 'retries', 0) for t in dag.tasks]; r = run_dag(dag); "
        "print('RESULT ' + json.dumps([r.run_id, r.tasks]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    run_id, tasks = json.loads(done.stdout.split("RESULT ", 1)[1].splitlines()[0])
    assert tasks["people.sync[0]"] == "failed"
    errors = [line for line in (done.stdout + done.stderr).splitlines() if "[error" in line]
    assert errors and "sync directory/people failed: auth error: " in errors[0], errors[:2]
    assert "(hint: " in errors[0], "what to do, on the same line"
    _, notes, _ = _notes_and_events("hub_sync_directory", run_id)
    assert notes["people.sync[0]"] and notes["people.sync[0]"].startswith(
        "sync directory/people failed: auth error:"
    )


def test_each_task_summary_is_on_its_note_the_run_note_and_its_asset_event(
    hub_yaml: Path,  # noqa: F811
    airflow_metadata_db: str,
) -> None:
    from core.demo.local_airflow import run_dag

    dags = _dags(hub_yaml)
    sync = run_dag(dags["hub_sync_directory"])
    assert sync.state == "success", sync.tasks
    assert sync.tasks["provision_on_demand"] == "skipped", "a scheduled run names no employee"
    run_note, notes, events = _notes_and_events("hub_sync_directory", sync.run_id)
    line = notes["people.sync[0]"]
    assert line is not None and line.startswith("sync directory/people: read 30, inserted 30, updated 0")
    assert line.endswith(" s") and "; succeeded in " in line
    assert run_note is not None and line in run_note
    [event] = events
    assert event["summary"] == line and (event["read"], event["inserted"], event["quarantined"]) == (
        30,
        30,
        0,
    )

    lifecycle = run_dag(dags["hub_lifecycle"])
    assert lifecycle.state == "success", lifecycle.tasks
    run_note, notes, events = _notes_and_events("hub_lifecycle", lifecycle.run_id)
    assert notes["resolve"] and notes["resolve"].startswith("resolve: 30 records; created 30 person")
    assert notes["evaluate"] and notes["evaluate"].startswith("evaluate: ")
    delivered = lifecycle.returns["deliver"]["delivered"]
    assert notes["deliver"] == f"deliver: {delivered} delivered, 0 failed, 0 deferred"
    assert run_note is not None and run_note.splitlines() == [
        notes[t] for t in ("deliver", "evaluate", "resolve")
    ]
    assert {e["summary"] for e in events} == {notes["resolve"], notes["evaluate"], notes["deliver"]}


def test_the_trigger_form_params_pick_a_stream_a_full_refresh_or_one_employee(
    hub_yaml: Path,  # noqa: F811
    airflow_metadata_db: str,
    example_sandbox: Any,  # noqa: F811
) -> None:
    from core.demo.local_airflow import run_dag
    from core.hub import Hub
    from core.tickets.query import list_tickets

    dags = _dags(hub_yaml)
    params = dags["hub_sync_directory"].params
    assert {"stream", "full_refresh", "employee"} <= set(params.keys())
    assert run_dag(dags["hub_sync_directory"]).returns["people.sync[0]"]["inserted"] == 30

    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match="is not one of"):
        run_dag(dags["hub_sync_directory"], {"stream": "peple"})  # the form offers the mapped streams only
    chosen = run_dag(dags["hub_sync_directory"], {"stream": "people"})
    assert chosen.returns["people.sync[0]"]["read"] == 0, "the chosen stream, incremental as usual"
    full = run_dag(dags["hub_sync_directory"], {"full_refresh": True})
    assert full.returns["people.sync[0]"]["read"] == 30, "a full refresh reads everything again"

    employee = "E77001"
    example_sandbox.admin("hire", {"employee_number": employee, "first_name": "Zoe", "last_name": "Quinn"})
    one = run_dag(dags["hub_sync_directory"], {"employee": employee})
    assert one.state == "success", one.tasks
    assert "people.sync[0]" not in one.tasks, "provisioning one person syncs no stream"
    applied = one.returns["provision_on_demand"]
    assert applied["plan"]["records"] == [
        {"stream": "people", "key": applied["plan"]["records"][0]["key"], "outcome": "new", "problem": None}
    ]
    assert applied["delivered"] == 1
    [ticket] = list_tickets(Hub.load(hub_yaml).store)
    assert (ticket["employee_id"], ticket["type"]) == (employee, "onboarding"), "only that person, once"
