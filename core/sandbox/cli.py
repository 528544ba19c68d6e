"""`hub sandbox serve`: start sandbox tenants and write a hub.yaml pointing at them; `hub sandbox
stop` ends one started with `--background`.

While developing a connector: `hub sandbox serve --only NAME --background` (with `--source FILE`
for a definition that is not installed), then `hub check NAME` and `hub sync NAME` against it.
Reached through the `itsm_hub.cli` entry point: it ships with the sandbox packages.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from core.cli.output import JsonOption, console, emit, print_json, progress_console
from core.errors import ConfigError

app = typer.Typer(help="Local sandbox tenants (fakes of every external system).", no_args_is_help=True)

WorkdirOption = Annotated[Path, typer.Option(help="where sandboxes keep their files and CA")]
STATE_FILE = "serve.json"
START_TIMEOUT_SECONDS = 120.0


@app.command()
def serve(
    write: Annotated[Path, typer.Option(help="hub.yaml to write")] = Path("hub.yaml"),
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="start only this sandbox (repeatable), even one outside the demo"),
    ] = None,
    source: Annotated[
        list[Path] | None,
        typer.Option(
            "--source", help="a declarative source.yaml to serve with the fixture sandbox (repeatable)"
        ),
    ] = None,
    background: Annotated[
        bool, typer.Option("--background", help="return once serving; stop with `hub sandbox stop`")
    ] = False,
    scale: Annotated[int, typer.Option(help="people per sandbox (other data scales with it)")] = 50,
    seed: Annotated[int, typer.Option(help="seed of the deterministic data")] = 7,
    workdir: WorkdirOption = Path(".hub/sandbox"),
    store_url: Annotated[str, typer.Option(help="store URL written into hub.yaml")] = "sqlite:///.hub/hub.db",
    as_json: JsonOption = False,
) -> None:
    """Serve every registered sandbox (or --only some) until interrupted (Ctrl-C). With --json,
    once serving, one line of JSON: pid, hub_yaml, ca_bundle, sandboxes (name: URL), failed."""
    if background:
        _serve_in_background(workdir, as_json)
        return
    from core.sandbox.fleet import SandboxFleet  # here: `hub --help` lists this group without it

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fleet = SandboxFleet(workdir=workdir, seed=seed, scale=scale, only=only or None, sources=source or [])
    say = progress_console(as_json)
    with fleet:
        for name, sandbox in fleet.sandboxes.items():
            say.print(f"[green]serving[/] {name:<12} {sandbox.url}", highlight=False)
        for name, error in fleet.failed.items():
            say.print(f"[red]failed[/]  {name:<12} {error}", highlight=False)
        if not fleet.sandboxes:
            raise ConfigError(
                "no sandbox started", hint="see the failures above; `hub connectors` lists what is installed"
            )
        fleet.write_hub_yaml(write, store_url=store_url)
        state = workdir / STATE_FILE
        serving = {
            "pid": os.getpid(),
            "hub_yaml": str(write),
            "ca_bundle": str(workdir / "ca.pem"),
            "sandboxes": {n: s.url for n, s in fleet.sandboxes.items()},
            "failed": {n: str(e) for n, e in fleet.failed.items()},
        }
        state.write_text(json.dumps(serving), encoding="utf-8")
        if as_json:
            print_json(serving)
            sys.stdout.flush()
        say.print(f"wrote {write}; CA bundle {workdir / 'ca.pem'}. Ctrl-C to stop.")
        try:
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        finally:
            state.unlink(missing_ok=True)


def _serve_in_background(workdir: Path, as_json: bool) -> None:
    """Run this same command without --background in a new session; return once it serves."""
    workdir.mkdir(parents=True, exist_ok=True)
    state, log = workdir / STATE_FILE, workdir / "serve.log"
    args = [a for a in sys.argv[1:] if a not in ("--background", "--json")]
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "core.cli.app", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "COLUMNS": "160"},
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ConfigError(f"the sandbox did not start:\n{log.read_text(errors='replace').strip()}")
        running = _read_state(state)
        if running and running.get("pid") == child.pid:
            if as_json:
                print_json(running)
                return
            sys.stdout.write(log.read_text(errors="replace"))
            console.print(f"serving in the background (pid {child.pid}); `hub sandbox stop` ends it")
            return
        time.sleep(0.2)
    child.terminate()
    raise ConfigError(f"the sandbox did not start within {START_TIMEOUT_SECONDS:.0f}s; see {log}")


@app.command()
def stop(workdir: WorkdirOption = Path(".hub/sandbox"), as_json: JsonOption = False) -> None:
    """Stop the sandbox `hub sandbox serve --background` started in this workdir."""
    running = _read_state(workdir / STATE_FILE)
    if not running:
        emit(
            {"workdir": str(workdir), "stopped": None},
            as_json,
            lambda r: console.print(f"no sandbox is serving from {r['workdir']}"),
        )
        return
    pid = int(str(running["pid"]))
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.1)
    (workdir / STATE_FILE).unlink(missing_ok=True)
    emit(
        {"workdir": str(workdir), "stopped": pid},
        as_json,
        lambda r: console.print(f"stopped the sandbox (pid {r['stopped']})"),
    )


def _read_state(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and _alive(int(str(data.get("pid", 0)))) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True
