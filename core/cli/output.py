"""Console output and error handling shared by every command."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from core.errors import HubError

console = Console()
err_console = Console(stderr=True)

EXIT_CODES = {"config": 2, "auth": 3, "transient": 4, "record": 5, "fatal": 1}


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def fail(exc: HubError) -> int:
    """Print a HubError the way an operator needs it: what, then what to do. Returns the exit code."""
    err_console.print(f"[bold red]error[/] ({exc.kind}): {exc.message}", highlight=False, markup=True)
    if exc.hint:
        err_console.print(f"[yellow]hint[/]: {exc.hint}", highlight=False)
    return EXIT_CODES.get(exc.kind, 1)
