"""`hub scenario run`: lifecycle stories against fresh sandboxes and a fresh store.

Reached through the `itsm_hub.cli` entry point: it ships with the sandbox packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.cli.output import JsonOption, emit, progress_console

app = typer.Typer(
    help="Run lifecycle scenarios (YAML stories) to test policies before going live.", no_args_is_help=True
)


@app.command("run")
def run_cmd(
    files: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
    store_url: Annotated[str | None, typer.Option(help="store URL (default: a fresh SQLite file)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run each scenario; print every step and failed expectation; exit 1 if any failed."""
    from core.scenario.runner import run_scenario_file

    say = progress_console(as_json)  # the steps; under --json on stderr
    scenarios = []
    for path in files:
        result = run_scenario_file(path, store_url=store_url, echo=say.print)
        scenarios.append(
            {
                "file": str(path),
                "name": result.name,
                "passed": result.passed,
                "steps": result.steps,
                "failures": result.failures,
            }
        )
    failed = sum(not s["passed"] for s in scenarios)
    emit(
        {"passed": len(scenarios) - failed, "failed": failed, "scenarios": scenarios},
        as_json,
        lambda r: say.print(f"{r['passed']} passed, {r['failed']} failed"),
    )
    raise typer.Exit(1 if failed else 0)
