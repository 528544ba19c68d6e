"""The Test button of Admin > Connections, through Airflow's own REST API: a running Airflow API
server answers `POST /api/v2/connections/test` for a hub connection by running the connector's
`check()` against the system (its sandbox), and returns that check's message. Secret extras come
back masked when the connection is read."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from core.sandbox.ca import SandboxCA

pytestmark = pytest.mark.airflow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Airflow API server (no scheduler: testing a connection needs none) for the module."""
    tmp_path = tmp_path_factory.mktemp("airflow-api")
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__PORT": str(port),
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
    log = (tmp_path / "api.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "airflow"), "api-server", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                requests.get(f"{url}/api/v2/monitor/health", timeout=5)
                break
            except requests.RequestException:
                time.sleep(2)
        assert server.poll() is None, (tmp_path / "api.log").read_text()[-2000:]
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def call(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    # simple auth manager with all-admins: the token endpoint hands a token to anyone
    token = requests.get(f"{url}/auth/token", timeout=30).json()["access_token"]
    answer = requests.request(
        method, f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120
    )
    answer.raise_for_status()
    return answer.json()


def test_the_connections_test_endpoint_runs_the_teamdynamix_check(
    api_server: str, sandbox_ca: SandboxCA, tmp_path: Path
) -> None:
    from connectors.teamdynamix.sandbox import TeamDynamixSandbox

    with TeamDynamixSandbox(seed=3, scale=5, ca=sandbox_ca, workdir=tmp_path / "tdx") as tdx:
        config = tdx.instance_config()
        settings = {k: v for k, v in config.items() if k not in ("base_url", "beid", "web_services_key")}
        connection = {
            "connection_id": "hub_tdx",
            "conn_type": "hub_teamdynamix",
            "host": config["base_url"],
            "login": config["beid"],
            "password": config["web_services_key"],
            "extra": json.dumps(settings),
        }
        answer = call(api_server, "POST", "/api/v2/connections/test", connection)
        assert answer == {
            "status": True,
            "message": f"ticketing app {config['app_id']} usable at {config['base_url']}",
        }
        missing = {**connection, "extra": json.dumps({**settings, "key_attribute_id": 9999})}
        answer = call(api_server, "POST", "/api/v2/connections/test", missing)
        assert answer["status"] is False and "ticket attribute 9999" in answer["message"]


def test_secret_extras_read_back_masked(api_server: str) -> None:
    connection = {
        "connection_id": "hub_wd",
        "conn_type": "hub_workday",
        "host": "wd5-services1.myworkday.com",
        "login": "ISU_ITSM_Hub",
        "password": "isu-password-1",
        "extra": json.dumps({"tenant": "cityofexample", "refresh_token": "rt-very-secret-1"}),
    }
    call(api_server, "POST", "/api/v2/connections", connection)
    shown = call(api_server, "GET", "/api/v2/connections/hub_wd")
    assert "rt-very-secret-1" not in json.dumps(shown) and "isu-password-1" not in json.dumps(shown)
    assert json.loads(shown["extra"])["tenant"] == "cityofexample"
