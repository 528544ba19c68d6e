"""`make up`: Airflow's API server, scheduler, DAG processor and triggerer running the hub DAGs,
against the sandbox tenants or against real tenants when HUB_CONFIG says so.

Started in order (the scheduler only once the API server answers its health check, so no task
starts before its workers can report), watched (`supervisor.py`), each logging to a file under
`.hub/up/logs`; the terminal shows the UI address and login first, then one line per event.
PostgreSQL holds Airflow's metadata when a server answers (`metadata_db.py`). The sandboxes keep
their ports across restarts, so saved cursors that name them stay valid. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from core.demo.supervisor import Component, say, stop_all, watch

WORKDIR = Path(".hub/up")
AFTER_API = ("scheduler", "dag-processor", "triggerer")


def wait_api_healthy(port: int, api: Component, timeout: float = 240) -> bool:
    """True once the API server answers its health check with a healthy metadata database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.exit_code() is not None:
            return False
        try:
            with urlopen(f"http://localhost:{port}/api/v2/monitor/health", timeout=5) as response:
                body = json.loads(response.read())
                if body.get("metadatabase", {}).get("status") == "healthy":
                    return True
        except (URLError, OSError, ValueError):
            pass
        time.sleep(1)
    return False


def admin_password(home: Path) -> str:
    for name in ("simple_auth_manager_passwords.json.generated", "standalone_admin_password.txt"):
        path = home / name
        if path.exists():
            text = path.read_text().strip()
            try:
                return ", ".join(f"{user} / {pw}" for user, pw in json.loads(text).items())
            except ValueError:
                return f"admin / {text}"
    return "(see the Airflow output above)"


def stop_on(*signals: signal.Signals) -> None:
    """Ctrl-C, `kill` and a closed terminal all stop Airflow and the sandboxes the same way (a
    background job starts with SIGINT ignored, so it is installed explicitly)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in signals:
        signal.signal(signum, interrupt)


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 240) -> bool:
    """True once Airflow's health check reports a healthy scheduler (`airflow standalone` in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urlopen(f"http://localhost:{port}/api/v2/monitor/health", timeout=5) as response:
                if json.loads(response.read()).get("scheduler", {}).get("status") == "healthy":
                    return True
        except (URLError, OSError, ValueError):
            pass
        time.sleep(2)
    return False


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 - the API server binds every interface
        except OSError:
            return True
    return False


def saved_ports(path: Path) -> dict[str, int]:
    try:
        return {str(k): int(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return {}


def start_sandboxes(scale: int, hub_yaml: Path) -> object:
    """The sandbox fleet on the ports of the last `make up` (saved beside it)."""
    from core.sandbox.fleet import SandboxFleet

    ports_file = WORKDIR / "sandbox" / "ports.json"
    fleet = SandboxFleet(WORKDIR / "sandbox", scale=scale, ports=saved_ports(ports_file)).start()
    ports = {name: sandbox.server.port for name, sandbox in fleet.sandboxes.items() if sandbox.server}
    ports_file.write_text(json.dumps(ports, indent=2))
    fleet.write_hub_yaml(hub_yaml, store_url=f"sqlite:///{(WORKDIR / 'hub.db').resolve()}")
    say(f"sandbox tenants running: {', '.join(sorted(fleet.sandboxes))}; hub.yaml at {hub_yaml}")
    return fleet


def airflow_env(home: Path, hub_yaml: Path, port: int, task_log_level: str) -> dict[str, str]:
    from core.demo.local_airflow import airflow_environment

    return {
        **os.environ,
        **airflow_environment(home, hub_yaml),
        "AIRFLOW__API__PORT": str(port),
        # task workers report to the API server's execution API: it must be the port we serve on
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # task logs in the UI show sync progress and summaries (INFO); the in-process demo keeps WARNING
        "AIRFLOW__LOGGING__LOGGING_LEVEL": task_log_level,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_AIRFLOW_PORT", "8080")))
    parser.add_argument("--scale", type=int, default=60)
    args = parser.parse_args()
    # read before prepare() exports the hub's quiet default into this process's environment
    task_log_level = os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    logs = (WORKDIR / "logs").resolve()
    say(f"hub up: Airflow UI at http://localhost:{args.port} (login below once it answers); logs in {logs}")
    stop_on(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    if port_taken(args.port):
        say(
            f"port {args.port} is in use (another `make up`?): stop it, or choose one with HUB_AIRFLOW_PORT=8081"
        )
        return 1
    real_config = os.environ.get("HUB_CONFIG")
    hub_yaml = Path(real_config) if real_config else WORKDIR / "hub.yaml"
    fleet = None if real_config else start_sandboxes(args.scale, hub_yaml)
    components: list[Component] = []
    try:
        from core.demo.local_airflow import prepare
        from core.demo.metadata_db import choose

        home = WORKDIR / "airflow"
        home.mkdir(parents=True, exist_ok=True)
        metadata = choose(home)
        os.environ.update(metadata.environment())  # `airflow db migrate` and the pools use it too
        say(f"Airflow metadata database: {metadata.describe()}")
        try:
            prepare(home, hub_yaml)
        except RuntimeError as exc:
            say(str(exc).splitlines()[0] + " " + str(exc).strip().splitlines()[-1])
            return 1
        from core.airflow.factory import ensure_pools
        from core.config.hub_config import load_hub_config

        ensure_pools(load_hub_config(hub_yaml))
        env = airflow_env(home, hub_yaml, args.port, task_log_level)
        airflow = str(Path(sys.executable).parent / "airflow")
        api = Component(
            "api-server", [airflow, "api-server", "--port", str(args.port)], env, logs / "api-server.log"
        )
        components.append(api)
        api.start()
        if not wait_api_healthy(args.port, api):
            cause = api.first_error() or "no error logged"
            say(f"the API server did not become healthy ({cause}); see {api.log_path}")
            return 1
        say(f"Airflow UI: http://localhost:{args.port}  login: {admin_password(home)}")
        for name in AFTER_API:
            component = Component(name, [airflow, name], env, logs / f"{name}.log")
            components.append(component)
            component.start()
        say("hub DAGs: hub_sync_<instance>, hub_lifecycle, hub_ticket_status. Ctrl-C stops everything.")
        return watch(components)
    except KeyboardInterrupt:
        return 0
    finally:
        say("stopping Airflow and the sandboxes")
        stop_all(components)
        if fleet is not None:
            fleet.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
