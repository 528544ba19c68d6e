"""The demo's closing summary: what each source gave, what was resolved, which tickets opened."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from core.resolve.findings import findings
from core.status import entity_counts
from core.store.engine import Store
from core.store.schema import sync_runs
from core.tickets.query import list_tickets


def sources_table(store: Store) -> Table:
    """Totals per source stream over every run and partition of the demo."""
    table = Table(title="Sources (every run and partition)", title_justify="left")
    for column in ("instance", "stream", "runs", "read", "inserted", "updated", "quarantined", "failed"):
        table.add_column(column, justify="left" if column in ("instance", "stream") else "right")
    counts = [sa.func.sum(getattr(sync_runs.c, c)) for c in ("read", "inserted", "updated", "quarantined")]
    failed = sa.func.sum(sa.case((sync_runs.c.status == "failed", 1), else_=0))
    query = (
        sa.select(sync_runs.c.instance, sync_runs.c.stream, sa.func.count(), *counts, failed)
        .group_by(sync_runs.c.instance, sync_runs.c.stream)
        .order_by(sync_runs.c.instance, sync_runs.c.stream)
    )
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            table.add_row(row[0], row[1], *(f"{int(v or 0):,}" for v in row[2:]))
    return table


def tickets_table(tickets: list[dict[str, Any]], limit_per_type: int = 3) -> Table:
    table = Table(title="Example tickets", title_justify="left")
    for column in ("type", "employee", "state", "priority", "due", "tasks (first)"):
        table.add_column(column)
    shown: Counter[str] = Counter()
    for ticket in tickets:
        if shown[ticket["type"]] >= limit_per_type:
            continue
        shown[ticket["type"]] += 1
        first = ticket["tasks"][0]["title"] if ticket["tasks"] else ""
        first = first if len(first) <= 48 else first[:47] + "…"
        table.add_row(
            ticket["type"],
            ticket["employee_id"],
            ticket["state"],
            ticket["priority"],
            ticket["due"],
            f"{len(ticket['tasks'])}: {first}",
        )
    return table


def print_summary(console: Console, store: Store) -> dict[str, Any]:
    console.print(sources_table(store))
    entities = entity_counts(store)
    console.print(
        "[bold]Canonical model:[/] " + ", ".join(f"{n} {name}" for name, n in entities.items() if n)
    )
    found = findings(store)
    by_kind = Counter(f["kind"] for f in found)
    console.print(
        f"[bold]Findings:[/] {len(found)}"
        + (" (" + ", ".join(f"{n} {k}" for k, n in by_kind.most_common()) + ")" if found else "")
    )
    tickets = list_tickets(store)
    by_type = Counter(t["type"] for t in tickets)
    console.print(
        f"[bold]Tickets opened:[/] {len(tickets)}"
        + (" (" + ", ".join(f"{n} {k}" for k, n in by_type.most_common()) + ")" if tickets else "")
    )
    if tickets:
        console.print(tickets_table(tickets))
    leaver = next((t for t in tickets if t["type"] == "offboarding"), None)
    if leaver:
        console.print(f"[bold]Offboarding tasks for {leaver['employee_id']}[/] (built from what they hold):")
        for task in leaver["tasks"]:
            mark = "x" if task["state"] == "closed" else " "
            console.print(f"  [{mark}] {task['title']}", highlight=False, markup=False)
    return {"entities": entities, "findings": dict(by_kind), "tickets": dict(by_type)}
