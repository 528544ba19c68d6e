"""Rich tables for the CLI's human output."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.util import find_spec
from typing import Any

from rich.markup import escape
from rich.table import Table

from core.cli.layout import Records
from core.cli.times import deployment_time
from core.connector.registry import ConnectorEntry


def sandbox_state(cls: type | None) -> str:
    """Whether the connector declares a sandbox and whether this installation has it (a
    production image has none); found without importing the sandbox itself."""
    target = getattr(cls, "sandbox", None)
    if not target:
        return "-"
    try:
        return "yes" if find_spec(target.partition(":")[0]) is not None else "not installed"
    except ImportError:
        return "not installed"


def connectors_table(entries: list[ConnectorEntry], kind_of: Callable[[type | None], str]) -> Table:
    from core.connector.packaged import shipped_mapping, shipped_playbooks

    table = Table(title="Installed connectors", title_justify="left")
    for column in ("name", "kind", "title", "sandbox", "ships", "note"):
        table.add_column(column)
    for e in entries:
        note = f"[red]{e.error}[/]" if e.error else e.target
        ships = []
        if e.cls is not None and shipped_mapping(e.cls) is not None:
            ships.append("mapping")
        if e.cls is not None and shipped_playbooks(e.cls) is not None:
            ships.append("playbooks")
        table.add_row(
            e.name,
            kind_of(e.cls),
            getattr(e.cls, "title", "-"),
            sandbox_state(e.cls),
            ", ".join(ships) or "-",
            note,
        )
    if not entries:
        table.caption = "no connectors installed"
    return table


def status_tables(document: dict[str, Any], zone: str = "UTC") -> Iterator[Table | Records | str]:
    """What `hub status` prints, in order; streams as Records (a table or blocks, by width)."""
    rows = []
    for s in document["streams"]:
        run, c = s["last_run"], s["counts"]
        name = f"{s['instance']}/{s['stream']}" + (f" {s['partition']}" if s["partition"] else "")
        rows.append(
            [
                name,
                run["status"],
                deployment_time(run["finished_at"], zone),
                *(
                    str(c[k])
                    for k in ("read", "inserted", "updated", "unchanged", "deleted", "missing", "quarantined")
                ),
            ]
        )
    streams = Records(
        "Streams (last run)",
        ["instance/stream", "status", "finished", "read", "ins", "upd", "same", "del", "miss", "quar"],
        rows,
    )
    if not document["streams"]:
        streams.caption = "no sync has run yet: try `hub sync NAME` (or `make demo`)"
    yield streams
    for s in document["streams"]:
        run = s["last_run"]
        if run["status"] in ("failed", "abandoned") and run["error"]:
            name = f"{s['instance']}/{s['stream']}" + (f" {s['partition']}" if s["partition"] else "")
            yield f"[red]{name} {run['status']}[/]: {escape(run['error'])}"
    entities = Table(title="Canonical entities", title_justify="left")
    entities.add_column("entity")
    entities.add_column("rows", justify="right")
    for name, count in document["entities"].items():
        entities.add_row(name, str(count))
    yield entities
    tickets = Table(title="Tickets", title_justify="left")
    for column in ("type", "open", "in_progress", "closed", "cancelled"):
        tickets.add_column(column)
    for ticket_type, states in document["tickets"].items():
        tickets.add_row(
            ticket_type, *(str(states.get(s, 0)) for s in ("open", "in_progress", "closed", "cancelled"))
        )
    if not document["tickets"]:
        tickets.caption = "no tickets yet"
    yield tickets
    for snap in document.get("snapshots_open", []):
        where = f"{snap['instance']}/{snap['stream']}" + (
            f" {snap['partition']}" if snap["partition"] else ""
        )
        yield (
            f"[yellow]snapshot of {where} open since {deployment_time(snap['started_at'], zone)}[/] "
            f"({snap['listed']} keys listed): "
            "a run stopped mid-listing; the next run continues it, and absence applies once it completes"
        )
    q = document["queues"]
    yield (
        f"quarantined records: {q['quarantined']}   review queue: {q['review_open']}   "
        f"held runs: {q['holds_open']}" + ("  (see `hub approve --list`)" if q["holds_open"] else "")
    )
    o = document.get("outbox")
    if o is not None:
        dead = f"[red]dead: {o['dead']}[/] (see `hub outbox list --state dead`)" if o["dead"] else "dead: 0"
        yield f"ticket intents pending: {o['pending']}   delivered: {o['delivered']}   {dead}"
