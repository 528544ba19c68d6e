"""`hub tickets`: list, show and work tickets of the built-in desk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from core.cli.app import ConfigOption, JsonOption, WideOption, _hub, app
from core.cli.output import console, emit, print_json

tickets_app = typer.Typer(help="Onboarding, offboarding and transfer tickets.", no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")


@tickets_app.command("list")
def list_cmd(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    wide: WideOption = False,
    employee: Annotated[str | None, typer.Option(help="only this employee ID")] = None,
    state: Annotated[str | None, typer.Option(help="open, in_progress, closed, cancelled")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="onboarding, offboarding, transfer")] = None,
) -> None:
    """Every ticket with its key, type, employee, state, priority, due date, sink and tasks."""
    from core.cli.layout import Records, show
    from core.tickets.query import list_tickets

    hub = _hub(config)
    rows = list_tickets(hub.store, employee_id=employee, state=state, ticket_type=type_)
    if as_json:
        print_json(rows)
    else:
        columns = ["key", "type", "employee", "state", "priority", "due", "sink", "desk number", "tasks"]
        values = [
            [
                t["key"],
                t["type"],
                t["employee_id"] or "-",
                t["state"],
                t["priority"],
                t["due"],
                t["sink"],
                t["external_id"] or "-",
                str(len(t["tasks"])),
            ]
            for t in rows
        ]
        caption = None if rows else "no tickets yet: `hub apply` opens them from lifecycle events"
        show(console, Records(f"Tickets ({len(rows)})", columns, values, caption), wide=wide)
    hub.close()


@tickets_app.command("show")
def show_cmd(
    ticket: Annotated[str, typer.Argument(help="the hub key, the desk number or an employee ID")],
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """A ticket (or every ticket of an employee) with its description, tasks and cause. `--json`
    is always a list (one ticket for a key or desk number), so a script needs one parser."""
    from core.cli.times import deployment_time
    from core.tickets.query import find_tickets
    from core.tickets.render import readable

    hub = _hub(config)
    # the built-in desk's text reads as every other desk's does (an unknown fact explained)
    documents = [
        {**doc, "description": readable(doc["description"])} for doc in find_tickets(hub.store, ticket)
    ]
    if as_json:
        print_json(documents)
        hub.close()
        return
    zone = hub.config.timezone
    for doc in documents:
        console.print(f"[bold]{escape(doc['title'])}[/]", highlight=False)
        console.print(
            f"{doc['key']}  {doc['type']}  {doc['state']}  priority {doc['priority']}\n"
            f"due {deployment_time(doc['due_at'], zone)} ({doc['time_zone']} "
            f"{doc['due_at'][:16].replace('T', ' ')})\n"
            f"sink {doc['sink']}  desk number {doc['external_id'] or 'not delivered yet'}",
            highlight=False,
        )
        console.print(escape(doc["description"]), highlight=False)
        for task in doc["tasks"]:
            console.print(f"  \\[{'x' if task['state'] == 'closed' else ' '}] {escape(task['title'])}")
        if "event" in doc:
            console.print(
                f"caused by {doc['event']['type']} effective {doc['event']['effective_date']} "
                f"(change log {doc['event']['change_log_ids']})",
                highlight=False,
            )
        console.print()
    hub.close()


@tickets_app.command("close")
def close_cmd(
    key: str,
    config: ConfigOption = Path("hub.yaml"),
    state: Annotated[str, typer.Option(help="closed or in_progress")] = "closed",
    as_json: JsonOption = False,
) -> None:
    """Work a built-in desk ticket (as a technician would), then read its state back."""
    import sqlalchemy as sa

    from core.errors import ConfigError, NotFoundError
    from core.store.schema import tickets
    from core.tickets.sinks import ticket_sink
    from core.tickets.status_sync import sync_status

    hub = _hub(config)
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.key == key)).first()
    if row is None:
        raise NotFoundError(f"no ticket {key!r}", hint="`hub tickets list` shows the keys")
    if row.external_id is None:
        raise ConfigError(f"ticket {key} is not delivered yet", hint="run `hub apply` first")
    sink = ticket_sink(hub, row.sink)
    if not hasattr(sink, "set_state"):
        raise ConfigError(f"ticket {key} lives in {row.sink}: close it there; the hub reads the state back")
    sink.set_state(row.external_id, state)
    sync_status(hub)
    with hub.store.engine.connect() as conn:
        now = conn.scalar(sa.select(tickets.c.state).where(tickets.c.key == key))
    hub.close()
    emit(
        {"key": key, "external_id": row.external_id, "state": now},
        as_json,
        lambda r: console.print(f"{r['key']} ({r['external_id']}): {r['state']}", highlight=False),
    )
