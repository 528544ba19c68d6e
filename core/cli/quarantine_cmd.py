"""`hub quarantine`: the records a sync could not use, with field, reason and the record itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.cli.app import ConfigOption, JsonOption, _hub
from core.cli.output import console, print_json
from core.cli.times import deployment_time

app = typer.Typer(
    help="Records a sync could not use (quarantined with the field and reason).", no_args_is_help=True
)


@app.command("list")
def list_cmd(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    instance: Annotated[str | None, typer.Option(help="only this instance")] = None,
    stream: Annotated[str | None, typer.Option(help="only this stream")] = None,
    limit: Annotated[int, typer.Option(min=1, help="newest entries shown")] = 200,
) -> None:
    """Open entries, newest first. An entry closes when its record next syncs cleanly."""
    from core.store.quarantine_query import open_entries

    hub = _hub(config)
    rows = open_entries(hub.store, instance=instance, stream=stream, limit=limit)
    zone = hub.config.timezone
    if as_json:
        print_json(rows)
    else:
        console.print(f"[bold]Quarantined records, open ({len(rows)})[/]")
        for r in rows:
            console.print(
                f"[bold]{r['id']}[/]  {r['instance']}/{r['stream']}  record {_which(r)}"
                f"  field {r['field'] or '-'}  since {deployment_time(r['created_at'], zone)}\n"
                f"    {r['reason']}"
            )
        if rows:
            console.print(
                "Fix the record in the source (or the mapping: `hub mapping diff`); the next sync releases it. "
                "`hub quarantine show ID` prints the record."
            )
        else:
            console.print("nothing is quarantined")
    hub.close()


@app.command("show")
def show_cmd(entry_id: int, config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """One entry with the record as the source sent it."""
    from core.store.quarantine_query import entry

    hub = _hub(config)
    found = entry(hub.store, entry_id)
    zone = hub.config.timezone
    if as_json:
        print_json(found)
    else:
        state = f"released {deployment_time(found['released_at'], zone)}" if found["released_at"] else "open"
        console.print(
            f"[bold]{found['instance']}/{found['stream']} record {_which(found)}[/]  {state}\n"
            f"field: {found['field'] or '-'}   expression: {found['expression'] or '-'}\n"
            f"reason: {found['reason']}\nrun: {found['run_id']}  at {deployment_time(found['created_at'], zone)}"
        )
        console.print_json(json.dumps(found["payload"], default=str))
    hub.close()


def _which(entry: dict[str, object]) -> str:
    """The record's key, or where the source has a record that has none."""
    if entry.get("record_key"):
        return str(entry["record_key"])
    return f"without a key at {entry['position']}" if entry.get("position") else "without a key"
