"""Human rendering of `hub explain`."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from core.cli.actions_cmd import render_action
from core.cli.output import console
from core.cli.times import deployment_time


def render_explain(doc: dict[str, Any], zone: str = "UTC") -> None:
    """The record, its lineage, history, events and tickets; times in the deployment's `zone`."""
    record = doc["record"]
    sources = record.get("field_sources") or {}
    table = Table(title=f"{doc['entity']} {record['id']}", title_justify="left")
    for column in ("field", "value", "from"):
        table.add_column(column)
    for name, value in sorted((record.get("attrs") or {}).items()):
        table.add_row(name, str(value), (sources.get(name) or {}).get("source", "-"))
    console.print(table)
    for s in doc["sources"]:
        deleted = " (deleted)" if s["deleted_at"] else ""
        console.print(
            f"  source {s['instance']}/{s['stream']} {s['record_key']} linked by {s['rule']}{deleted}"
        )
    for c in doc["conflicts"]:
        console.print(
            f"  [yellow]conflict[/] {c['field']}: {c['chosen_source']}={c['chosen_value']!r} "
            f"over {c['other_source']}={c['other_value']!r}"
        )
    history = Table(title="History", title_justify="left")
    for column in ("when", "field", "old", "new", "source"):
        history.add_column(column)
    for h in doc["history"]:
        history.add_row(
            deployment_time(h["changed_at"], zone),
            h["field"],
            str(h["old_value"]),
            str(h["new_value"]),
            h["source"] or "-",
        )
    console.print(history)
    for e in doc["events"]:
        console.print(
            f"  event {e['event_type']} {e['effective_date']} [{e['state']}] from change log "
            f"{e['change_ids']}"
        )
    for t in doc["tickets"]:
        console.print(
            f"  ticket {t['key']} {t['type']} [{t['state']}] due {deployment_time(t['due_at'], zone)}"
        )
    for a in doc.get("actions") or []:
        render_action(a, zone)
