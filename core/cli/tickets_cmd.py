"""`hub tickets`: list, show and work tickets of the built-in desk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.cli.app import ConfigOption, JsonOption, _hub, app
from core.cli.output import console, print_json

tickets_app = typer.Typer(help="Onboarding, offboarding and transfer tickets.", no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")


@tickets_app.command("list")
def list_cmd(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    employee: Annotated[str | None, typer.Option(help="only this employee ID")] = None,
    state: Annotated[str | None, typer.Option(help="open, in_progress, closed, cancelled")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="onboarding, offboarding, transfer")] = None,
) -> None:
    """Every ticket with its key, type, employee, state, priority, due date, sink and tasks."""
    from core.tickets.query import list_tickets

    hub = _hub(config)
    rows = list_tickets(hub.store, employee_id=employee, state=state, ticket_type=type_)
    if as_json:
        print_json(rows)
    else:
        table = Table(title=f"Tickets ({len(rows)})", title_justify="left")
        for column in ("key", "type", "employee", "state", "priority", "due", "sink", "external", "tasks"):
            table.add_column(column)
        for t in rows:
            table.add_row(
                t["key"],
                t["type"],
                t["employee_id"] or "-",
                t["state"],
                t["priority"],
                t["due"],
                t["sink"],
                t["external_id"] or "-",
                str(len(t["tasks"])),
            )
        console.print(table)
    hub.close()


@tickets_app.command("show")
def show_cmd(key: str, config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """One ticket with its description, tasks and the event that caused it."""
    from core.tickets.query import show_ticket

    hub = _hub(config)
    doc = show_ticket(hub.store, key)
    if as_json:
        print_json(doc)
    else:
        console.print(
            f"[bold]{doc['title']}[/]\n{doc['key']}  {doc['type']}  {doc['state']}  priority {doc['priority']}"
            f"  due {doc['due_at']} ({doc['time_zone']})  sink {doc['sink']} {doc['external_id'] or ''}"
        )
        console.print(doc["description"])
        for task in doc["tasks"]:
            console.print(f"  [{'x' if task['state'] == 'closed' else ' '}] {task['title']}")
        if "event" in doc:
            console.print(
                f"caused by {doc['event']['type']} effective {doc['event']['effective_date']} "
                f"(change log {doc['event']['change_log_ids']})"
            )
    hub.close()


@tickets_app.command("close")
def close_cmd(
    key: str,
    config: ConfigOption = Path("hub.yaml"),
    state: Annotated[str, typer.Option(help="closed or in_progress")] = "closed",
) -> None:
    """Work a built-in desk ticket (as a technician would), then read its state back."""
    import sqlalchemy as sa

    from core.errors import ConfigError
    from core.store.schema import tickets
    from core.tickets.sinks import ticket_sink
    from core.tickets.status_sync import sync_status

    hub = _hub(config)
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.key == key)).first()
    if row is None or row.external_id is None:
        raise ConfigError(f"ticket {key!r} is unknown or not delivered yet", hint="run `hub apply` first")
    sink = ticket_sink(hub, row.sink)
    if not hasattr(sink, "set_state"):
        raise ConfigError(f"ticket {key} lives in {row.sink}: close it there; the hub reads the state back")
    sink.set_state(row.external_id, state)
    sync_status(hub)
    console.print(f"{key}: {state}")
    hub.close()
