"""`hub scenario run`: lifecycle stories against fresh sandboxes and a fresh store.

Reached through the `itsm_hub.cli` entry point: it ships with the sandbox packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.cli.output import console

app = typer.Typer(
    help="Run lifecycle scenarios (YAML stories) to test policies before going live.", no_args_is_help=True
)


@app.command("run")
def run_cmd(
    files: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
    store_url: Annotated[str | None, typer.Option(help="store URL (default: a fresh SQLite file)")] = None,
) -> None:
    """Run each scenario; print every step and failed expectation; exit 1 if any failed."""
    from core.scenario.runner import run_scenario_file

    failed = 0
    for path in files:
        result = run_scenario_file(path, store_url=store_url, echo=console.print)
        failed += 0 if result.passed else 1
    console.print(f"{len(files) - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed else 0)
