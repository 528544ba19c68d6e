"""Console output and error handling shared by every command."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from core.errors import HubError

console = Console()
err_console = Console(stderr=True)

EXIT_CODES = {"config": 2, "auth": 3, "transient": 4, "record": 5, "fatal": 1, "busy": 7, "not_found": 8}


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def fail(exc: HubError) -> int:
    """Print a HubError the way an operator needs it: what, then what to do. Returns the exit code."""
    # escaped: messages quote expressions and values such as `in(Status, ['A', 'B'])`
    err_console.print(f"[bold red]error[/] ({exc.kind}): {escape(exc.message)}", highlight=False)
    if exc.hint:
        err_console.print(f"[yellow]hint[/]: {escape(exc.hint)}", highlight=False)
    return EXIT_CODES.get(exc.kind, 1)
