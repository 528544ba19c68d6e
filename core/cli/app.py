"""`hub`: run and inspect the hub from a terminal. Every command calls the same engine as Airflow."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from core.cli.output import JsonOption, console, emit, fail, print_json
from core.errors import HubError

app = typer.Typer(
    help="ITSM integration hub: HR, identity, asset and cloud sources to lifecycle tickets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the hub store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

ConfigOption = Annotated[Path, typer.Option("--config", "-c", envvar="HUB_CONFIG", help="path of hub.yaml")]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="a table however wide (default: one block per record when a table would not fit)"
    ),
]


def _hub(config: Path):
    """The hub of `config`; without any hub.yaml, the embedded default store and no instances."""
    from core.cli.output import err_console
    from core.config.hub_config import HubConfig
    from core.hub import Hub

    if config == Path("hub.yaml") and not config.exists():
        err_console.print(
            "[dim]no hub.yaml here: using the default store .hub/hub.db and no connector instances "
            "(`hub sandbox serve` writes a hub.yaml for the sandboxes)[/]"
        )
        return Hub(HubConfig())
    return Hub.load(config)


@app.callback()
def _main(
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="-v: the hub's runs and retries; -vv: every HTTP call and step",
        ),
    ] = 0,
    debug_logger: Annotated[
        list[str] | None,
        typer.Option(
            "--debug-logger",
            help="also log this library at DEBUG (botocore, urllib3, msal, azure...); secrets stay masked",
        ),
    ] = None,
    log_file: Annotated[
        Path | None,
        typer.Option("--log-file", help="also write the log to this file (redacted the same way)"),
    ] = None,
) -> None:
    from core.logs import configure

    configure(verbose, debug_logger or (), log_file)


@app.command()
def connectors(as_json: JsonOption = False, config: ConfigOption = Path("hub.yaml")) -> None:
    """List installed connectors (the itsm_hub.connectors entry points) and hub.yaml's rest_sources."""
    from core.cli.tables import connectors_table, sandbox_state
    from core.connector.packaged import shipped_mapping
    from core.connector.registry import ConnectorEntry, discover

    entries = discover()
    if config.exists():
        hub = _hub(config)
        for name, cls in hub.rest_sources.items():
            entries.append(ConnectorEntry(name, f"rest_sources: {cls.loaded.path}", cls, None))
    if as_json:
        print_json(
            [
                {
                    "name": e.name,
                    "target": e.target,
                    "kind": _kind(e.cls),
                    "title": getattr(e.cls, "title", None),
                    "sandbox": bool(getattr(e.cls, "sandbox", None)),
                    "sandbox_installed": sandbox_state(e.cls) == "yes",
                    "mapping": str(shipped_mapping(e.cls)) if e.cls and shipped_mapping(e.cls) else None,
                    "error": e.error,
                }
                for e in entries
            ]
        )
        return
    console.print(connectors_table(entries, _kind))


def _kind(cls: type | None) -> str:
    from core.connector.contracts import SourceConnector
    from core.connector.sink import Notifier, TicketSink

    if cls is None:
        return "unavailable"
    if issubclass(cls, SourceConnector):
        return "source (declarative)" if hasattr(cls, "loaded") else "source"
    if issubclass(cls, TicketSink):
        return "ticket sink"
    return "notifier" if issubclass(cls, Notifier) else "connector"


@app.command()
def check(
    name: Annotated[str | None, typer.Argument(help="instance to check (default: every enabled one)")] = None,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Prove the credentials and reachability of connector instance NAME (or of every instance)."""
    hub = _hub(config)
    names = [name] if name else [i.name for i in hub.config.instances if i.enabled]
    results = []
    for each in names:
        try:
            result = hub.connector(each).check()
            ok, message = result.ok, result.message
        except HubError as exc:
            if name:  # one instance: its error is the command's error
                raise
            ok, message = False, str(exc)
        results.append({"instance": each, "ok": ok, "message": message})
    hub.close()
    emit(results, as_json, _print_checks)
    raise typer.Exit(0 if all(r["ok"] for r in results) else 3)


def _print_checks(results: list[dict[str, Any]]) -> None:
    for r in results:
        colour, word = ("green", "ok") if r["ok"] else ("red", "failed")
        console.print(f"[{colour}]{word}[/] {r['instance']}: {escape(r['message'])}", highlight=False)


@app.command()
def sync(
    name: str,
    stream: Annotated[
        list[str] | None, typer.Option("--stream", "-s", help="only this stream (repeatable)")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="ignore saved state and read everything")
    ] = False,
    employee: Annotated[
        str | None,
        typer.Option(
            "--employee",
            "-e",
            help="provision on demand: only this employee ID, through resolve, lifecycle and delivery "
            "(shows the plan; applies with --yes)",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="apply the --employee plan without asking")
    ] = False,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Read instance NAME's streams into the store (state is committed with the data)."""
    from core.cli.progress import sync_with_progress

    hub = _hub(config)
    if employee:
        from core.cli.provision_cmd import provision_on_demand

        code = provision_on_demand(hub, name, employee, stream or None, yes=yes, as_json=as_json)
        hub.close()
        raise typer.Exit(code)
    summaries = sync_with_progress(hub, name, stream or None, full_refresh, quiet=as_json)
    if as_json:
        print_json([s.as_dict() for s in summaries])
    hub.close()
    if any(s.status == "held" for s in summaries):
        raise typer.Exit(6)


@app.command()
def status(
    config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False, wide: WideOption = False
) -> None:
    """Last run of every stream, entity counts, tickets, holds and queues."""
    from core.cli.layout import Records, show
    from core.cli.tables import status_tables
    from core.status import hub_status

    hub = _hub(config)
    document = hub_status(hub.store)
    if as_json:
        print_json(document)
    else:
        for renderable in status_tables(document, hub.config.timezone):
            show(console, renderable, wide=wide) if isinstance(renderable, Records) else console.print(
                renderable
            )
    hub.close()


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """Migrate the store to this hub's schema (refuses a schema newer than this hub)."""
    from core.config.hub_config import HubConfig, load_hub_config
    from core.store.engine import connect_store

    cfg = load_hub_config(config) if config.exists() else HubConfig()
    store = connect_store(cfg.store_url())
    before, after = store.upgrade()
    store.dispose()
    emit(
        {"store": store.url, "before": before, "after": after},
        as_json,
        lambda r: console.print(f"store {r['store']}: schema {r['before'] or 'empty'} -> {r['after']}"),
    )


def main() -> None:
    """Console-script entry point: HubErrors become a clear message and an exit code, never a traceback."""
    _register_subcommands(sys.argv[1:])
    try:
        app()
    except HubError as exc:
        sys.exit(fail(exc))
    except Exception as exc:  # a bug: one redacted line, the traceback only with -vv
        logging.getLogger("hub.cli").debug("unexpected error", exc_info=True)
        from core.errors import FatalError
        from core.http.redaction import redact_text

        message = redact_text(f"unexpected {type(exc).__name__}: {exc}".splitlines()[0])[:500]
        hint = "this is a bug in the hub: run again with -vv for the traceback and report it"
        sys.exit(fail(FatalError(message, hint=hint)))


def _register_subcommands(argv: Sequence[str] | None = None) -> None:
    """Every command group; of the plugin groups, only the one `argv` invokes (None: all of them)."""
    from core.cli import (  # noqa: F401 - they register commands
        actions_cmd,
        connector_cmd,
        lifecycle_cmd,
        outbox_cmd,
        quarantine_cmd,
        source_cmd,
        tickets_cmd,
    )
    from core.cli.plugins import add_plugin_groups

    app.add_typer(source_cmd.app, name="source")
    app.add_typer(connector_cmd.app, name="connector")
    app.add_typer(quarantine_cmd.app, name="quarantine")
    app.add_typer(outbox_cmd.app, name="outbox")
    app.add_typer(actions_cmd.app, name="actions")
    add_plugin_groups(app, argv)
    try:
        from core.cli import mapping_cmd
    except ImportError:  # the mapping CLI ships with core.mapping
        return
    app.add_typer(mapping_cmd.app, name="mapping")


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "120")
    main()
