"""The Provisioning log of one person: what the sources said, what the hub decided, what the
desk was asked to do, in time order, so an operator can answer "why did (or didn't) this
ticket happen" from one page. Built on `core.explain` (the record, lineage, events, tickets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.cli.times import deployment_time
from core.explain import explain
from core.store.engine import Store
from core.store.schema import outbox, source_records, tickets

KIND_ORDER = ("change", "event", "ticket", "action")


@dataclass
class Entry:
    at: datetime
    kind: str  # change | event | ticket | action
    title: str
    state: str = ""
    lines: list[str] = field(default_factory=list)


def _source_keys(store: Store, record_ids: set[int]) -> dict[int, str]:
    if not record_ids:
        return {}
    s = source_records
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(s.c.id, s.c.instance, s.c.stream, s.c.record_key).where(s.c.id.in_(record_ids))
        )
        return {r.id: f"{r.instance}/{r.stream} record {r.record_key}" for r in rows}


def _changes(history: list[dict[str, Any]], keys: dict[int, str]) -> list[Entry]:
    """One entry per source record and run: the fields that record changed, with old and new values."""
    grouped: dict[tuple[Any, ...], Entry] = {}
    for change in history:
        origin = keys.get(change["source_record_id"]) or change["source"] or "unknown source"
        group = (change["run_id"], change["source_record_id"], change["source"])
        entry = grouped.get(group)
        if entry is None:
            entry = grouped[group] = Entry(change["changed_at"], "change", f"{origin} changed")
            if change["run_id"]:
                entry.lines.append(f"sync run {change['run_id']}")
        entry.lines.append(
            f"{change['field']}: {_value(change['old_value'])} -> {_value(change['new_value'])}"
        )
    return list(grouped.values())


def _value(value: Any) -> str:
    return "-" if value in (None, "", []) else str(value)


def _events(events: list[dict[str, Any]]) -> list[Entry]:
    return [
        Entry(
            e["detected_at"],
            "event",
            f"{e['event_type']} detected, effective {e['effective_date'] or '-'}",
            e["state"],
            [f"caused by changes {', '.join(map(str, e['change_ids'] or [])) or '-'}", f"event {e['id']}"],
        )
        for e in events
    ]


def _tickets_and_actions(store: Store, person_id: str, zone: str) -> list[Entry]:
    entries = []
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(tickets).where(tickets.c.person_id == person_id)).all()
        for t in rows:
            desk = t.external_id or "not in the desk yet"
            entries.append(
                Entry(
                    t.created_at,
                    "ticket",
                    f"{t.type} ticket {t.key}",
                    t.state,
                    [
                        f"desk: {t.sink} {desk}",
                        f"due {deployment_time(t.due_at, zone)}",
                        f"for event {t.event_id}",
                    ],
                )
            )
            for intent in conn.execute(
                sa.select(outbox).where(outbox.c.ticket_key == t.key).order_by(outbox.c.id)
            ):
                lines = [f"attempts {intent.attempts}"]
                if intent.last_error:
                    lines.append(f"last error: {intent.last_error}")
                entries.append(
                    Entry(
                        intent.delivered_at or intent.created_at,
                        "action",
                        f"{intent.action} sent to {intent.sink} for {t.key}",
                        intent.state,
                        lines,
                    )
                )
    return entries


def person_timeline(store: Store, person_id: str, zone: str = "UTC") -> dict[str, Any]:
    """The person's record with lineage and the time-ordered log (newest first); times in the
    deployment's `zone`, as the CLI prints them.

    Raises ConfigError when no such person exists."""
    document = explain(store, "person", person_id)
    keys = _source_keys(store, {c["source_record_id"] for c in document["history"] if c["source_record_id"]})
    entries = [
        *_changes(document["history"], keys),
        *_events(document["events"]),
        *_tickets_and_actions(store, document["record"]["id"], zone),
    ]
    # newest first; at one moment the cause reads below its effect (change, event, ticket, action)
    entries.sort(key=lambda e: (e.at, KIND_ORDER.index(e.kind)), reverse=True)
    return {**document, "timeline": entries}
