"""The console's test stack: the demo's organisation and story in a hub store, then a real
`airflow standalone` with the hub's DAGs and plugin, two users (an admin who may act, a viewer
who may only read), and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
import yaml

from core import clock
from core.demo.story import hr_changes
from core.sandbox.fleet import SandboxFleet
from core.sandbox.org import roster

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
SEED, SCALE = 7, 40
#: the storm guard's limit in the test's hub.yaml: day 3 hires one more than this
STORM_LIMIT = 2
USERS = {"admin": ("admin", "admin-pw-for-tests"), "viewer": ("viewer", "viewer-pw-for-tests")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hub(hub_yaml: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `hub` CLI as an operator runs it (exit 6 = something was held, expected on day 3)."""
    return subprocess.run(
        [str(BIN / "hub"), *args, "--config", str(hub_yaml)], capture_output=True, text=True, timeout=900
    )


def write_hub_yaml(fleet: SandboxFleet, path: Path, store_url: str) -> None:
    document = fleet.hub_config(store_url=store_url, relative_to=path.parent)
    document["lifecycle"] = {"storm_guard": {"max_count": STORM_LIMIT}}
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def build_store(fleet: SandboxFleet, hub_yaml: Path) -> dict[str, Any]:
    """Day 1 and day 2 are the demo's (`make demo`, plus one late-entered termination); day 3
    hires more people than the storm guard lets through in one run, so the run is held for an
    operator (the guard holds the whole evaluation, not only the tickets of the storm's type)."""
    runs = {"day 1": hub(hub_yaml, "run")}
    hr_changes(fleet.sandboxes, SEED, SCALE)
    # besides the demo's day 2, a termination HR entered late, effective yesterday: its access
    # removal is on the clock, so the Deadlines page has a leaver to measure
    leaver = next(p for p in roster(SEED, SCALE) if p.status == "active" and p.index >= 12)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    fleet.sandboxes["workday"].admin(
        "terminate", {"employee_id": leaver.employee_id, "termination_date": yesterday}
    )
    runs["day 2"] = hub(hub_yaml, "run")
    start = (clock.today() + timedelta(days=10)).isoformat()
    hired = []
    for given, family in (("Ana", "Folau"), ("Bea", "Ngata"), ("Cai", "Moana")):
        answer = fleet.sandboxes["workday"].admin(
            "hire",
            {
                "given_name": given,
                "family_name": family,
                "department": "IT",
                "title": "Analyst",
                "hire_date": start,
            },
        )
        hired.append(answer)
    runs["day 3"] = hub(hub_yaml, "run")
    for day, result in runs.items():
        assert result.returncode in (0, 6), (
            f"{day}: hub run failed\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return {"hired": hired, "leaver": leaver.employee_id, "runs": runs}


@dataclass
class Airflow:
    url: str
    home: Path
    process: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user: str = "admin") -> str:
        """A bearer token, fetched once per user (a busy 2-core machine makes every call count)."""
        if user not in self.tokens:
            name, password = USERS[user]
            answer = requests.post(
                f"{self.url}/auth/token", json={"username": name, "password": password}, timeout=120
            )
            answer.raise_for_status()
            self.tokens[user] = str(answer.json()["access_token"])
        return self.tokens[user]

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = requests.request(
            method,
            f"{self.url}/api/v2{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=120,
        )
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
        return answer.json()

    def run_dag(self, dag_id: str, timeout: float = 600) -> dict[str, Any]:
        """Unpause, trigger and wait for the run to finish; the finished run. A poll the busy API
        server does not answer in time is simply repeated."""
        self.wait_parsed(dag_id)
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.Timeout):
                run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}")
                if run["state"] in ("success", "failed"):
                    return dict(run)
            time.sleep(3)
        raise AssertionError(
            f"{dag_id} run {run['dag_run_id']} did not finish in {timeout:.0f} s: {run['state']}"
        )

    def wait_parsed(self, dag_id: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = requests.get(
                f"{self.url}/api/v2/dags/{dag_id}",
                headers={"Authorization": f"Bearer {self.token()}"},
                timeout=30,
            )
            if answer.status_code == 200:
                return
            time.sleep(3)
        raise AssertionError(f"{dag_id} was not parsed in {timeout:.0f} s")


def start_airflow(workdir: Path, hub_yaml: Path) -> Airflow:
    """`airflow standalone` (scheduler, API server, DAG processor, triggerer) with the hub's DAGs;
    its plugin comes from the installed package's `airflow.plugins` entry point."""
    home = workdir / "airflow"
    home.mkdir(parents=True)
    (home / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({name: password for name, password in USERS.values()})
    )
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "HUB_CONFIG": str(hub_yaml),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = (workdir / "airflow.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "airflow"), "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    airflow = Airflow(f"http://localhost:{port}", home, process)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, (workdir / "airflow.log").read_text()[-3000:]
        with contextlib.suppress(requests.RequestException, ValueError):
            health = requests.get(f"{airflow.url}/api/v2/monitor/health", timeout=5).json()
            if health.get("scheduler", {}).get("status") == "healthy":
                return airflow
        time.sleep(3)
    stop_airflow(airflow)
    raise AssertionError("airflow standalone did not become healthy in 300 s")


def stop_airflow(airflow: Airflow) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(airflow.process.pid, signal.SIGINT)
    try:
        airflow.process.wait(30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(airflow.process.pid, signal.SIGKILL)
