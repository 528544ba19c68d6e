"""The resolution pass: unresolved source records → matched, linked, merged canonical entities.

Promises:
- idempotent: a pass with nothing unresolved writes nothing;
- a record with two candidate entities is never merged: it goes to the review queue;
- every change of a canonical entity is one change-log row (the fields it changed, old and new,
  source record, run: `core/resolve/changes.py`);
- entities are resolved people-first so accounts, assets and resources link to them in one pass.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.resolve.changes import ChangeRecorder
from core.resolve.config import ENTITY_ORDER, EntityRules, load_rules
from core.resolve.guard import held_streams
from core.resolve.keys import rule_keys
from core.resolve.links import HINT_FIELDS, PERSON_LINK_COLUMNS, PersonIndex, key_columns
from core.resolve.merge import LinkedRecord, merge
from core.resolve.writes import APPLY_CHUNK, EntityWrites
from core.store.locks import locked_stage
from core.store.schema import (
    ENTITY_TABLES,
    conflicts,
    entity_links,
    match_keys,
    review_queue,
    source_records,
)
from core.store.statistics import StatisticsRefresh

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.resolve")
#: what a resolution pass reads of each source record (`resolve` and `resolve_records` alike)
RECORD_COLUMNS = tuple(
    source_records.c[name]
    for name in ("id", "instance", "stream", "record_key", "fragment", "deleted_at", "content_hash")
)
BATCH = 500


@dataclass
class ResolveSummary:
    run_id: str
    records: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    changes: int = 0
    review: int = 0
    conflicts: int = 0
    relinked: int = 0
    held: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "records": self.records,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "deleted": dict(self.deleted),
            "changes": self.changes,
            "review": self.review,
            "conflicts": self.conflicts,
            "relinked": self.relinked,
            "held": self.held,
        }

    def line(self) -> str:
        """One line for a task log, a run note and an asset event."""

        def by_entity(counts: Counter[str]) -> str:
            return ", ".join(f"{n} {e}" for e, n in sorted(counts.items())) or "none"

        held = f"; held streams: {', '.join(self.held)}" if self.held else ""
        return (
            f"resolve: {self.records} records; created {by_entity(self.created)}; updated "
            f"{by_entity(self.updated)}; deleted {by_entity(self.deleted)}; {self.changes} field changes, "
            f"{self.review} to review, {self.conflicts} conflicts, {self.relinked} relinked{held}"
        )


class _Pass:
    def __init__(self, hub: Hub, conn: sa.Connection, summary: ResolveSummary, rules: dict[str, EntityRules]):
        self.conn = conn
        self.summary = summary
        self.rules = rules
        self.types = {i.name: i.type for i in hub.config.instances}
        self.now = clock.now()
        #: change-log rows, one per entity changed, written once per batch (see `batch`)
        self._changes = ChangeRecorder(summary.run_id, self.now)
        #: (match index, key) -> entity ids, loaded per batch by `prefetch_keys`
        self._known: dict[tuple[str, str], set[str]] = defaultdict(set)
        #: source record id -> content hash of the live version a merge read (`mark_resolved`)
        self._merged: dict[int, str] = {}

    # -- matching ------------------------------------------------------------------------
    def match(
        self, entity: str, record: Any, pending: dict[tuple[str, str], str]
    ) -> tuple[str | None, str | None]:
        """(entity id, rule) for a record; ("", None) for a new entity; (None, rule) when ambiguous.

        A candidate found by a weaker rule is not the same entity if a stronger rule's keys exist on
        both sides and differ (two employee IDs sharing one email are two people).
        """
        fragment = record.fragment or {}
        stronger: list[tuple[str, set[str]]] = []
        for rule in self.rules[entity].match:
            if rule.sources and not {record.instance, self.types.get(record.instance)} & set(rule.sources):
                continue
            keys = list(rule_keys(rule, fragment))
            if not keys:
                continue
            found = self._lookup(entity, rule.index_name, keys, pending)
            found = {
                c
                for c in found
                if not self._contradicts(entity, c, [x for x in stronger if x[0] != rule.index_name], pending)
            }
            stronger.append((rule.index_name, set(keys)))
            if len(found) == 1:
                return found.pop(), rule.name
            if len(found) > 1:
                self._review(entity, record, rule.name, sorted(found))
                return None, rule.name
        return "", None

    def _lookup(
        self, entity: str, index: str, keys: list[str], pending: dict[tuple[str, str], str]
    ) -> set[str]:
        found: set[str] = set()
        for key in keys:
            found |= self._known.get((index, key), set())
        return found | {pending[(index, k)] for k in keys if (index, k) in pending}

    def prefetch_keys(self, entity: str, records: list[Any]) -> None:
        """Load the match keys a batch can hit in a few IN queries, instead of one query per rule
        per record (`apply` rewrites keys only after the batch has been matched)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for record in records:
            for rule in self.rules[entity].match:
                wanted[rule.index_name].update(rule_keys(rule, record.fragment or {}))
        self._known = defaultdict(set)
        for index, values in wanted.items():
            ordered = sorted(values)
            for start in range(0, len(ordered), 500):
                rows = self.conn.execute(
                    sa.select(match_keys.c.value, match_keys.c.entity_id).where(
                        match_keys.c.entity == entity,
                        match_keys.c.rule == index,
                        match_keys.c.value.in_(ordered[start : start + 500]),
                    )
                )
                for row in rows:
                    self._known[(index, row.value)].add(row.entity_id)

    def _contradicts(
        self,
        entity: str,
        candidate: str,
        stronger: list[tuple[str, set[str]]],
        pending: dict[tuple[str, str], str],
    ) -> bool:
        for index, keys in stronger:
            theirs = {value for (i, value), owner in pending.items() if i == index and owner == candidate}
            theirs |= {
                row.value
                for row in self.conn.execute(
                    sa.select(match_keys.c.value).where(
                        match_keys.c.entity == entity,
                        match_keys.c.rule == index,
                        match_keys.c.entity_id == candidate,
                    )
                )
            }
            if theirs and not theirs & keys:
                return True
        return False

    def _review(self, entity: str, record: Any, rule: str, candidates: list[str]) -> None:
        exists = self.conn.execute(
            sa.select(review_queue.c.id).where(
                review_queue.c.source_record_id == record.id, review_queue.c.state == "open"
            )
        ).first()
        if exists is None:
            self.conn.execute(
                review_queue.insert().values(
                    entity=entity,
                    source_record_id=record.id,
                    rule=rule,
                    candidates=candidates,
                    state="open",
                    reason=f"{record.instance}/{record.stream} record {record.record_key!r} matches {len(candidates)} "
                    f"{entity} records by rule {rule!r}; not merged automatically",
                    created_at=self.now,
                )
            )
        self.summary.review += 1

    # -- a batch --------------------------------------------------------------------------
    def batch(self, entity: str, records: list[Any]) -> None:
        ids = [r.id for r in records]
        links = dict(
            self.conn.execute(
                sa.select(entity_links.c.source_record_id, entity_links.c.entity_id).where(
                    entity_links.c.entity == entity, entity_links.c.source_record_id.in_(ids)
                )
            ).all()
        )
        affected: set[str] = set()
        pending: dict[tuple[str, str], str] = {}
        new_links: list[dict[str, Any]] = []
        self.prefetch_keys(entity, [r for r in records if r.id not in links and r.deleted_at is None])
        for record in records:
            if record.id in links:
                affected.add(links[record.id])
                continue
            if record.deleted_at is not None:
                continue
            entity_id, rule = self.match(entity, record, pending)
            if entity_id is None:
                continue
            if entity_id == "":
                entity_id, rule = str(uuid.uuid4()), "new"
                for r in self.rules[entity].match:
                    for key in rule_keys(r, record.fragment or {}):
                        pending[(r.index_name, key)] = entity_id
            new_links.append(
                {
                    "entity": entity,
                    "entity_id": entity_id,
                    "source_record_id": record.id,
                    "rule": rule,
                    "linked_at": self.now,
                }
            )
            affected.add(entity_id)
        if new_links:
            self.conn.execute(entity_links.insert(), new_links)
        self.apply_all(entity, sorted(affected))
        self._changes.flush(self.conn)
        self.mark_resolved(records)
        self.summary.records += len(ids)

    def mark_resolved(self, records: list[Any]) -> None:
        """Mark resolved only the records still at the version this pass merged.

        A sync may commit a newer version (or a deletion) of a record between the read and this
        mark; that record stays unresolved, so the next pass merges what it now says."""
        for live in (True, False):
            versions = [
                {"_id": r.id, "_hash": self._merged.get(r.id, r.content_hash)}
                for r in records
                if (r.id in self._merged or r.deleted_at is None) is live
            ]
            if not versions:
                continue
            t = source_records
            state = t.c.deleted_at.is_(None) if live else t.c.deleted_at.is_not(None)
            self.conn.execute(
                t.update()
                .where(t.c.id == sa.bindparam("_id"), t.c.content_hash == sa.bindparam("_hash"), state)
                .values(resolved=True),
                versions,
            )

    # -- merging and writing -----------------------------------------------------------------
    def linked_records(self, entity: str, entity_ids: list[str]) -> dict[str, list[LinkedRecord]]:
        """Live source records linked to each entity, in one query per chunk."""
        t = source_records
        rows = self.conn.execute(
            sa.select(
                entity_links.c.entity_id,
                t.c.id,
                t.c.instance,
                t.c.stream,
                t.c.fragment,
                t.c.last_changed_at,
                t.c.content_hash,
            )
            .join(entity_links, entity_links.c.source_record_id == t.c.id)
            .where(
                entity_links.c.entity == entity,
                entity_links.c.entity_id.in_(entity_ids),
                t.c.deleted_at.is_(None),
            )
        )
        linked: dict[str, list[LinkedRecord]] = defaultdict(list)
        for r in rows:
            self._merged[r.id] = r.content_hash
            linked[r.entity_id].append(
                LinkedRecord(
                    r.id,
                    r.instance,
                    self.types.get(r.instance, r.instance),
                    r.stream,
                    r.fragment or {},
                    r.last_changed_at,
                )
            )
        return linked

    def apply_all(self, entity: str, entity_ids: list[str]) -> None:
        """Merge and write every affected entity, reading and writing per chunk rather than per row."""
        table = ENTITY_TABLES[entity]
        for start in range(0, len(entity_ids), APPLY_CHUNK):
            chunk = entity_ids[start : start + APPLY_CHUNK]
            linked = self.linked_records(entity, chunk)
            current = {r.id: r for r in self.conn.execute(sa.select(table).where(table.c.id.in_(chunk)))}
            persons = PersonIndex(self.conn)
            if entity in PERSON_LINK_COLUMNS:
                fragments = (rec.fragment for records in linked.values() for rec in records)
                persons.prefetch(f.get(name) for f in fragments for name in HINT_FIELDS)
            writes = EntityWrites()
            for entity_id in chunk:
                records = linked.get(entity_id, [])
                self.apply(entity, entity_id, records, current.get(entity_id), writes, persons)
            writes.flush(self.conn, entity, table, self.now)

    def apply(
        self,
        entity: str,
        entity_id: str,
        records: list[LinkedRecord],
        current: Any,
        writes: EntityWrites,
        persons: PersonIndex,
    ) -> None:
        if not records:
            if current is not None and current.deleted_at is None:
                writes.deletions.append(entity_id)
                self.summary.changes += self._changes.deleted(entity, entity_id)
                self.summary.deleted[entity] += 1
            return
        merged = merge(records, self.rules[entity])
        old = dict(current.attrs) if current is not None else {}
        self.summary.changes += self._changes.merged(
            entity,
            entity_id,
            old,
            merged.attrs,
            merged.field_sources,
            created=current is None,
            restored=current is not None and current.deleted_at is not None,
        )
        columns = key_columns(persons, entity, merged.attrs)
        row = {
            **columns,
            "attrs": merged.attrs,
            "field_sources": merged.field_sources,
            "updated_at": self.now,
            "deleted_at": None,
        }
        if current is None:
            writes.inserts.append({"id": entity_id, "created_at": self.now, **row})
            self.summary.created[entity] += 1
        elif (
            old != merged.attrs
            or dict(current.field_sources) != merged.field_sources
            or current.deleted_at is not None
            or any(getattr(current, k) != v for k, v in columns.items())
        ):
            writes.updates.append({"_id": entity_id, **row})
            self.summary.updated[entity] += 1
        writes.entity_ids.append(entity_id)
        keys = {
            (r.index_name, k)
            for r in self.rules[entity].match
            for fields in [merged.attrs, *(rec.fragment for rec in records)]
            for k in rule_keys(r, fields)
        }
        writes.keys += [
            {"entity": entity, "rule": rule, "value": value, "entity_id": entity_id}
            for rule, value in sorted(keys)
        ]
        writes.conflicts += [
            {
                "entity": entity,
                "entity_id": entity_id,
                "field": c.field,
                "chosen_source": c.chosen_source,
                "chosen_value": c.chosen_value,
                "other_source": c.other_source,
                "other_value": c.other_value,
                "seen_at": self.now,
            }
            for c in merged.conflicts
        ]
        self.summary.conflicts += len(merged.conflicts)

    def relink(self) -> None:
        """Give accounts, assets and resources that had no person a second chance after new people arrived."""
        for entity, column in PERSON_LINK_COLUMNS.items():
            table = ENTITY_TABLES[entity]
            rows = self.conn.execute(
                sa.select(table.c.id, table.c.attrs).where(
                    getattr(table.c, column).is_(None), table.c.deleted_at.is_(None)
                )
            ).all()
            persons = PersonIndex(self.conn)
            persons.prefetch(row.attrs.get(name) for row in rows for name in HINT_FIELDS)
            for row in rows:
                person_id = key_columns(persons, entity, dict(row.attrs)).get(column)
                if person_id:
                    self.conn.execute(table.update().where(table.c.id == row.id).values({column: person_id}))
                    self.summary.relinked += 1


@locked_stage("resolve")
def resolve(hub: Hub) -> ResolveSummary:
    """Resolve every unresolved source record (people first); returns what changed.

    One runner at a time per store (the `resolve` stage lock; a second one waits, see
    `core/store/locks.py`)."""
    summary = ResolveSummary(run_id=str(uuid.uuid4()))
    rules = load_rules(hub.config.resolution)
    with hub.store.engine.begin() as conn:
        skip = held_streams(conn, hub.config, summary.run_id)
    summary.held = [f"{i}/{s}" for i, s in sorted(skip)]
    looked_up = [
        match_keys.name,
        entity_links.name,
        conflicts.name,
        *(t.name for t in ENTITY_TABLES.values()),
    ]
    statistics = StatisticsRefresh(hub.store, looked_up)
    for entity in ENTITY_ORDER:
        last_id = 0
        while True:
            with hub.store.engine.begin() as conn:
                resolver = _Pass(hub, conn, summary, rules)
                t = source_records
                rows = conn.execute(
                    sa.select(*RECORD_COLUMNS)
                    .where(t.c.resolved.is_(False), t.c.entity == entity, t.c.id > last_id)
                    .order_by(t.c.id)
                    .limit(BATCH)
                ).all()
                if not rows:
                    break
                last_id = rows[-1].id
                batch = [r for r in rows if (r.instance, r.stream) not in skip]
                if batch:
                    resolver.batch(entity, batch)
            statistics.grew(len(rows))
    if summary.created.get("person"):
        with hub.store.engine.begin() as conn:
            _Pass(hub, conn, summary, rules).relink()
    log.info("resolution: %s", summary.as_dict())
    return summary


def resolve_records(hub: Hub, conn: sa.Connection, record_ids: list[int]) -> ResolveSummary:
    """Resolve just these source records (people first) inside the caller's transaction.

    Provisioning on demand runs it in a transaction it rolls back (the plan) or commits (the
    apply); the mass-change guard's holds are the scheduled pass's business, not one person's.
    """
    summary = ResolveSummary(run_id=str(uuid.uuid4()))
    rules = load_rules(hub.config.resolution)
    t = source_records
    for entity in ENTITY_ORDER:
        rows = conn.execute(
            sa.select(*RECORD_COLUMNS)
            .where(t.c.id.in_(record_ids), t.c.resolved.is_(False), t.c.entity == entity)
            .order_by(t.c.id)
        ).all()
        if rows:
            _Pass(hub, conn, summary, rules).batch(entity, list(rows))
    if summary.created.get("person"):
        _Pass(hub, conn, summary, rules).relink()
    return summary
