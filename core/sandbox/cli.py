"""`hub sandbox serve`: start every sandbox tenant and write a hub.yaml pointing at them.

Reached through the `itsm_hub.cli` entry point: it ships with the sandbox packages."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from core.cli.output import console
from core.sandbox.fleet import SandboxFleet

app = typer.Typer(help="Local sandbox tenants (fakes of every external system).", no_args_is_help=True)


@app.command()
def serve(
    write: Annotated[Path, typer.Option(help="hub.yaml to write")] = Path("hub.yaml"),
    scale: Annotated[int, typer.Option(help="people per sandbox (other data scales with it)")] = 50,
    seed: Annotated[int, typer.Option(help="seed of the deterministic data")] = 7,
    workdir: Annotated[Path, typer.Option(help="where sandboxes keep their files and CA")] = Path(
        ".hub/sandbox"
    ),
    store_url: Annotated[str, typer.Option(help="store URL written into hub.yaml")] = "sqlite:///.hub/hub.db",
) -> None:
    """Serve every registered sandbox until interrupted (Ctrl-C)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SandboxFleet(workdir=workdir, seed=seed, scale=scale) as fleet:
        for name, sandbox in fleet.sandboxes.items():
            console.print(f"[green]serving[/] {name:<12} {sandbox.url}", highlight=False)
        for name, error in fleet.failed.items():
            console.print(f"[red]failed[/]  {name:<12} {error}", highlight=False)
        fleet.write_hub_yaml(write, store_url=store_url)
        console.print(f"wrote {write}; CA bundle {workdir / 'ca.pem'}. Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
