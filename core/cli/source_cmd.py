"""`hub source`: check a declarative REST source definition and get its JSON Schema for editors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from core.cli.output import JsonOption, console, emit

app = typer.Typer(help="Declarative REST sources (source.yaml files).", no_args_is_help=True)


@app.command()
def validate(path: Path, as_json: JsonOption = False) -> None:
    """Check a source definition: every problem with its file and line; exit 2 if any."""
    from core.declarative.connector import file_source

    cls = file_source(path)
    definition = cls.definition()
    document = {
        "path": str(path),
        "connector_type": definition.name,
        "streams": [{"name": s.name, "mode": s.mode} for s in cls.stream_classes()],
        "sandbox": definition.sandbox is not None,
    }
    emit(document, as_json, _print_valid)


def _print_valid(doc: dict[str, Any]) -> None:
    streams = ", ".join(f"{s['name']} ({s['mode']})" for s in doc["streams"])
    sandbox = "with a fixture sandbox" if doc["sandbox"] else "no sandbox: section"
    console.print(
        f"[green]ok[/] {doc['path']}: connector type {doc['connector_type']!r}; streams: {streams}; {sandbox}"
    )


@app.command()
def schema(
    write: Annotated[
        Path | None, typer.Option(help="write the JSON Schema to this file instead of printing it")
    ] = None,
) -> None:
    """The JSON Schema of source definitions, for editors (the YAML language server)."""
    from core.declarative.schema import source_schema

    text = json.dumps(source_schema(), indent=2, ensure_ascii=False) + "\n"
    if write is None:
        sys.stdout.write(text)
    else:
        write.write_text(text, encoding="utf-8")
        console.print(f"wrote {write}")
