"""Console output and error handling shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from core.errors import HubError

console = Console()
err_console = Console(stderr=True)

#: every command that prints records or a result takes it (tests/cli/test_json_everywhere.py)
JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON document (shapes: docs/runbook.md)")]

EXIT_CODES = {"config": 2, "auth": 3, "transient": 4, "record": 5, "fatal": 1, "busy": 7, "not_found": 8}


Document = TypeVar("Document")


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def emit(document: Document, as_json: bool, human: Callable[[Document], object]) -> None:
    """One result, two readers: with `--json` the document alone on stdout (its shape is listed
    in docs/runbook.md, "Machine-readable output"), else `human(document)` for a terminal."""
    if as_json:
        print_json(document)
    else:
        human(document)


def progress_console(as_json: bool) -> Console:
    """Where a command's running commentary goes: stderr under `--json`, so stdout stays one
    JSON document a script can parse."""
    return err_console if as_json else console


def fail(exc: HubError) -> int:
    """Print a HubError the way an operator needs it: what, then what to do. Returns the exit code."""
    # escaped: messages quote expressions and values such as `in(Status, ['A', 'B'])`
    err_console.print(f"[bold red]error[/] ({exc.kind}): {escape(exc.message)}", highlight=False)
    if exc.hint:
        err_console.print(f"[yellow]hint[/]: {escape(exc.hint)}", highlight=False)
    return EXIT_CODES.get(exc.kind, 1)
