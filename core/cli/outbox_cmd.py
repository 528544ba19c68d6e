"""`hub outbox`: the ticket intents waiting for, or given up by, delivery; and reviving dead ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.cli.app import ConfigOption, JsonOption, WideOption, _hub
from core.cli.output import console, print_json
from core.cli.times import deployment_time
from core.errors import ConfigError

app = typer.Typer(
    help="Ticket intents: pending, delivered, and dead ones waiting for an operator.", no_args_is_help=True
)

STATES = ("pending", "delivered", "dead")


@app.command("list")
def list_cmd(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    wide: WideOption = False,
    state: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
    limit: Annotated[int, typer.Option(min=1, help="newest intents shown")] = 200,
) -> None:
    """Intents newest first, with attempts, the next try and the last error."""
    from core.cli.layout import Records, show
    from core.tickets.dead_letter import list_intents

    if state is not None and state not in STATES:
        raise ConfigError(f"--state {state!r} is not one of {', '.join(STATES)}")
    hub = _hub(config)
    rows = list_intents(hub.store, state=state, limit=limit)
    zone = hub.config.timezone
    hub.close()
    if as_json:
        print_json(rows)
        return
    columns = ["id", "ticket", "action", "sink", "state", "attempts", "next try", "held by", "last error"]
    values = [
        [
            str(r["id"]),
            r["ticket_key"],
            r["action"],
            r["sink"],
            r["state"],
            str(r["attempts"]),
            deployment_time(r["next_attempt_at"], zone),
            r["owner"] or "-",
            (r["last_error"] or "-")[:160],
        ]
        for r in rows
    ]
    show(console, Records(f"Outbox intents ({len(rows)})", columns, values, key_column=1), wide=wide)


@app.command("show")
def show_cmd(intent_id: int, config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """One intent in full: its state, attempts, lease, times and the whole last error."""
    from core.tickets.dead_letter import show_intent

    hub = _hub(config)
    doc = show_intent(hub.store, intent_id)
    zone = hub.config.timezone
    hub.close()
    if as_json:
        print_json(doc)
        return
    console.print(f"[bold]intent {doc['id']}[/]  {doc['action']} {doc['ticket_key']} -> {doc['sink']}")
    for name in (
        "state",
        "attempts",
        "created_at",
        "sent_at",
        "next_attempt_at",
        "owner",
        "lease_expires_at",
    ):
        value = deployment_time(doc[name], zone) if name.endswith("_at") else doc[name]
        console.print(f"  {name:<17} {value if value is not None else '-'}")
    for name in ("delivered_at", "dead_at"):
        if doc[name]:
            console.print(f"  {name:<17} {deployment_time(doc[name], zone)}")
    if doc["last_error"]:
        console.print(f"  last error        {doc['last_error']}")


@app.command("retry")
def retry_cmd(
    intent_ids: Annotated[list[int] | None, typer.Argument(help="ids of dead intents")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="every dead intent")] = False,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Make dead intents pending again with a fresh attempt count; the next delivery sends them
    (looking each ticket up at the sink first, so nothing is created twice)."""
    from core.tickets.dead_letter import retry_dead

    if bool(intent_ids) == all_dead:
        raise ConfigError(
            "name the dead intents to retry, or pass --all", hint="`hub outbox list --state dead`"
        )
    hub = _hub(config)
    ids = retry_dead(hub.store, None if all_dead else list(intent_ids or []))
    hub.close()
    if as_json:
        print_json({"retried": ids})
    else:
        console.print(
            f"{len(ids)} intent{'s' if len(ids) != 1 else ''} pending again"
            + (f": {', '.join(map(str, ids))}" if ids else "")
            + ("; `hub run` or the deliver task sends them" if ids else "")
        )
