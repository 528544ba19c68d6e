"""`make up`: Airflow standalone (scheduler, API server and UI, triggerer, DAG processor) running
the hub DAGs, against the sandbox tenants or against real tenants when HUB_CONFIG says so.

Runs in the foreground until Ctrl-C, then stops Airflow and the sandboxes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

WORKDIR = Path(".hub/up")


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 240) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urlopen(f"http://localhost:{port}/api/v2/monitor/health", timeout=5) as response:
                body = json.loads(response.read())
                if body.get("scheduler", {}).get("status") == "healthy":
                    return True
        except (URLError, OSError, ValueError):
            pass
        time.sleep(2)
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


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGINT to Airflow's whole process group, SIGKILL to what is left after 30 s."""
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    time.sleep(2)  # let the children standalone stopped finish their own shutdown
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_AIRFLOW_PORT", "8080")))
    parser.add_argument("--scale", type=int, default=60)
    args = parser.parse_args()
    # read before prepare() exports the hub's quiet default into this process's environment
    task_log_level = os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    real_config = os.environ.get("HUB_CONFIG")
    hub_yaml = Path(real_config) if real_config else WORKDIR / "hub.yaml"
    fleet = None
    if not real_config:
        from core.sandbox.fleet import SandboxFleet

        fleet = SandboxFleet(WORKDIR / "sandbox", scale=args.scale).start()
        fleet.write_hub_yaml(hub_yaml, store_url=f"sqlite:///{(WORKDIR / 'hub.db').resolve()}")
        print(f"sandbox tenants running: {', '.join(sorted(fleet.sandboxes))}; hub.yaml at {hub_yaml}")

    from core.demo.local_airflow import airflow_environment, prepare

    home = WORKDIR / "airflow"
    prepare(home, hub_yaml)
    from core.airflow.factory import ensure_pools
    from core.config.hub_config import load_hub_config

    ensure_pools(load_hub_config(hub_yaml))
    env = {
        **os.environ,
        **airflow_environment(home, hub_yaml),
        "AIRFLOW__API__PORT": str(args.port),
        # task workers report to the API server's execution API: it must be the port we serve on
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{args.port}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # task logs in the UI show sync progress and summaries (INFO); the in-process demo keeps WARNING
        "AIRFLOW__LOGGING__LOGGING_LEVEL": task_log_level,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # its own process group, so stopping it reaches the scheduler, API server and workers it started
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "standalone"], env=env, start_new_session=True
    )
    stop_on(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    try:
        if wait_healthy(args.port, process):
            print(f"\nAirflow UI: http://localhost:{args.port}  login: {admin_password(home)}")
            print("hub DAGs: hub_sync_<instance>, hub_lifecycle, hub_ticket_status. Ctrl-C stops everything.")
        else:
            print("Airflow did not become healthy; see its output above.", file=sys.stderr)
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_group(process)
        if fleet is not None:
            fleet.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
