"""Command groups other packages add to `hub` through the `itsm_hub.cli` entry-point group.

`hub sandbox` and `hub scenario` live in the sandbox packages, which a production install does
not have: `hub` imports a group only when it runs (or when the top-level help lists them), and
where one cannot be imported it says what to install instead of failing with a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points

import typer

from core.errors import ConfigError

GROUP = "itsm_hub.cli"


#: options of `hub` itself that take a value: the word after one is its value, not a subcommand
VALUE_OPTIONS = frozenset({"--debug-logger", "--log-file"})


def invoked_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (None: no subcommand, so help lists them all)."""
    words = iter(argv)
    for arg in words:
        if not arg.startswith("-"):
            return arg
        if arg in VALUE_OPTIONS:
            next(words, None)
    return None


def add_plugin_groups(app: typer.Typer, argv: Sequence[str] | None) -> None:
    """Register the group `argv` invokes, or every group when the top-level help lists them
    (or `argv` is None: tests drive the app without a command line)."""
    wanted = None if argv is None else invoked_command(argv)
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if wanted is None or wanted == entry.name:
            app.add_typer(_load(entry), name=entry.name)


def _load(entry: EntryPoint) -> typer.Typer:
    try:
        group = entry.load()
    except ImportError as exc:
        return _unavailable(entry.name, f"{type(exc).__name__}: {exc}")
    if not isinstance(group, typer.Typer):
        return _unavailable(entry.name, f"{entry.value} is not a typer.Typer")
    return group


def _unavailable(name: str, reason: str) -> typer.Typer:
    """A stand-in group whose only answer is what to install."""
    stand_in = typer.Typer(help=f"(not available in this installation: {reason})")

    @stand_in.callback(invoke_without_command=True, context_settings={"ignore_unknown_options": True})
    def _explain(args: list[str] | None = typer.Argument(None, hidden=True)) -> None:
        raise ConfigError(
            f"`hub {name}` is not available in this installation ({reason})",
            hint="it runs the local sandbox tenants, which ship with the development install "
            "(`make install` in a checkout) or `pip install 'itsm-hub[sandbox]'`; "
            "a production image has neither, by design",
        )

    return stand_in
