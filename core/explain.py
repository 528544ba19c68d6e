"""`hub explain`: a canonical record, where every field came from, and its history (each change
row of the change log listed field by field, as the history has always read)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.actions.query import list_actions
from core.errors import ConfigError, NotFoundError
from core.resolve.changes import history_entries
from core.store import change_cursors
from core.store.change_cursors import LIFECYCLE
from core.store.engine import Store
from core.store.schema import (
    ENTITY_TABLES,
    change_log,
    conflicts,
    entity_links,
    lifecycle_events,
    source_records,
    tickets,
)

LOOKUP_COLUMNS = {
    "person": ("employee_id", "work_email", "upn"),
    "asset": ("asset_tag", "serial_number"),
    "account": ("external_id",),
    "resource": ("resource_id",),
    "cloud_resource": ("resource_id",),
    "org_unit": ("code",),
}


def explain(store: Store, kind: str, ident: str) -> dict[str, Any]:
    entity = "cloud_resource" if kind == "resource" else kind
    table = ENTITY_TABLES.get(entity)
    if table is None:
        raise ConfigError(
            f"cannot explain {kind!r}", hint="one of: person, asset, account, resource, org_unit"
        )
    with store.engine.connect() as conn:
        row = None
        for column in (*LOOKUP_COLUMNS.get(kind, ()), "id"):
            value = ident.lower() if column in ("work_email", "upn") else ident
            row = conn.execute(sa.select(table).where(getattr(table.c, column) == value)).first()
            if row is None and column == "serial_number":
                from core.resolve.keys import normalize

                row = conn.execute(
                    sa.select(table).where(table.c.serial_number == normalize(ident, "serial"))
                ).first()
            if row is not None:
                break
        if row is None:
            looked_up = ", ".join((*LOOKUP_COLUMNS.get(kind, ()), "id"))
            raise NotFoundError(
                f"no {kind} {ident!r} in the store (looked up by {looked_up})",
                hint="`hub findings` and `hub tickets list` name people and records the store has; "
                "a record a sync has not brought yet appears after `hub sync`",
            )
        record = dict(row._mapping)
        sources = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(
                    source_records.c.id,
                    source_records.c.instance,
                    source_records.c.stream,
                    source_records.c.record_key,
                    source_records.c.last_changed_at,
                    source_records.c.deleted_at,
                    entity_links.c.rule,
                )
                .join(entity_links, entity_links.c.source_record_id == source_records.c.id)
                .where(entity_links.c.entity == entity, entity_links.c.entity_id == row.id)
            )
        ]
        processed = change_cursors.is_processed(conn, LIFECYCLE).label("processed")
        history = [
            entry
            for r in conn.execute(
                sa.select(change_log, processed)
                .where(change_log.c.entity == entity, change_log.c.entity_id == row.id)
                .order_by(change_log.c.id)
            )
            for entry in history_entries(r, bool(r.processed))
        ]
        disagreements = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(conflicts).where(conflicts.c.entity == entity, conflicts.c.entity_id == row.id)
            )
        ]
        events, ticket_rows = [], []
        if entity == "person":
            events = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(lifecycle_events)
                    .where(lifecycle_events.c.person_id == row.id)
                    .order_by(lifecycle_events.c.detected_at)
                )
            ]
            ticket_rows = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(
                        tickets.c.key, tickets.c.type, tickets.c.state, tickets.c.due_at, tickets.c.event_id
                    ).where(tickets.c.person_id == row.id)
                )
            ]
    return {
        "entity": entity,
        "record": record,
        "sources": sources,
        "history": history,
        "conflicts": disagreements,
        "events": events,
        "tickets": ticket_rows,
        "actions": list_actions(store, person_id=record["id"], evidence=True) if entity == "person" else [],
    }
