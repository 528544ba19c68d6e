"""`hub connector new`: start a connector package from a working scaffold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core.cli.output import JsonOption, console, emit

app = typer.Typer(help="Write new connector packages.", no_args_is_help=True)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="connector type and Python package name, e.g. payroll")],
    kind: Annotated[str, typer.Option("--kind", help="source (reads records) or sink (writes tickets)")],
    directory: Annotated[Path, typer.Option("--dir", help="folder to write the package into")] = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Write a connector package that works at once: connector, config, sandbox, mapping stub,
    README and tests that run the contract kit. Install it with `uv pip install -e NAME`."""
    from core.scaffold.writer import new_connector

    written = new_connector(name, kind, directory)  # type: ignore[arg-type]
    document = {
        "name": name,
        "kind": kind,
        "package": str(directory / name),
        "files": [str(path) for path in written],
    }
    emit(document, as_json, _print_written)


def _print_written(doc: dict[str, Any]) -> None:
    root = doc["package"]
    console.print(
        f"[green]wrote[/] {root} ({len(doc['files'])} files), a {doc['kind']} connector {doc['name']!r}"
    )
    console.print(f"next, in the hub's environment: uv pip install -e {root}", soft_wrap=True)
    console.print(f"then: python -m pytest {root} (the contract kit against its sandbox)", soft_wrap=True)
