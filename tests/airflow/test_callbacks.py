"""DAG failure and deadline callbacks reach the configured notifier (the Teams sandbox here) with
the DAG, task, error summary and log link, and never a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from core.airflow.callbacks import notify_deadline_missed, notify_failure
from core.errors import AuthError
from core.sandbox.ca import SandboxCA

SECRET = "Pa55-in-an-error"


@pytest.fixture
def teams(sandbox_ca: SandboxCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from connectors.teams.sandbox import TeamsSandbox

    with TeamsSandbox(ca=sandbox_ca, workdir=tmp_path / "teams") as sandbox:
        document = {
            "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
            "instances": [
                {"name": "teams", "type": "teams", "schedule": None, "config": sandbox.instance_config()}
            ],
            "tickets": {"notifier": "teams"},
        }
        path = tmp_path / "hub.yaml"
        path.write_text(yaml.safe_dump(document))
        monkeypatch.setenv("HUB_CONFIG", str(path))
        yield sandbox


def test_a_failed_task_posts_what_failed_and_where_to_look(teams: Any) -> None:
    ti = SimpleNamespace(
        dag_id="hub_sync_workday",
        task_id="workers.sync",
        map_index=2,
        try_number=4,
        log_url="https://airflow/log/1",
    )
    error = AuthError("workday: 401 from https://wd5/ccx/service/agency: credentials rejected")
    notify_failure({"task_instance": ti, "exception": error})
    [message] = teams.admin("messages", {})
    text = json.dumps(message)
    assert "hub_sync_workday" in text and "workers.sync[2]" in text and "credentials rejected" in text
    assert "https://airflow/log/1" in text


def test_a_late_run_posts_a_deadline_notice(teams: Any) -> None:
    notify_deadline_missed(dag_id="hub_sync_aws", max_run_minutes=120, context={"ignored": SECRET})
    [message] = teams.admin("messages", {})
    assert "hub_sync_aws" in json.dumps(message) and SECRET not in json.dumps(message)


def test_a_notifier_failure_never_raises_out_of_a_callback(teams: Any) -> None:
    teams.admin("rotate_signature", {})  # the configured webhook URL is now revoked
    notify_failure(
        {"task_instance": SimpleNamespace(dag_id="d", task_id="t"), "exception": RuntimeError("x")}
    )
    assert teams.admin("messages", {}) == []
