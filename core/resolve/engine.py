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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.resolve.changes import ChangeRecorder
from core.resolve.config import ENTITY_ORDER, EntityRules, load_rules
from core.resolve.guard import held_streams
from core.resolve.ids import new_entity_id
from core.resolve.keys import Derived, Key, KeyDeriver
from core.resolve.links import (
    HINT_FIELDS,
    KEY_COLUMNS,
    PERSON_LINK_COLUMNS,
    PersonIndex,
    key_columns,
    reaches,
)
from core.resolve.matching import KeyIndex, applies
from core.resolve.merge import LinkedRecord, merge
from core.resolve.rows import (
    entity_rows,
    insert_rows,
    json_text,
    linked_rows,
    pending_rows,
    stored,
    update_rows,
)
from core.resolve.writes import APPLY_CHUNK, EntityWrites
from core.store.locks import locked_stage
from core.store.resolution_cursor import Horizons, advance, horizon_now, horizons
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
    for name in (
        "id",
        "instance",
        "stream",
        "record_key",
        "fragment",
        "deleted_at",
        "content_hash",
        "staged_seq",
        "last_changed_at",
    )
)
BATCH = 500
#: what a new link row holds, in order (`linked_at` last)
LINK_COLUMNS = ("entity", "entity_id", "source_record_id", "rule", "linked_at")


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


def _contradicts(index: KeyIndex, candidate: str, stronger: list[tuple[str, set[str]]]) -> bool:
    """Whether the candidate holds keys of a stronger index and none of them is the record's."""
    for name, keys in stronger:
        theirs = index.keys_of(candidate, name)
        if theirs and not theirs & keys:
            return True
    return False


class _Pass:
    def __init__(
        self,
        hub: Hub,
        conn: sa.Connection,
        summary: ResolveSummary,
        rules: dict[str, EntityRules],
        person_keys: set[Key] | None = None,
    ):
        self.conn = conn
        self.summary = summary
        self.rules = rules
        self.types = {i.name: i.type for i in hub.config.instances}
        self.now = clock.now()
        #: change-log rows, one per entity changed, written once per batch (see `batch`)
        self._changes = ChangeRecorder(summary.run_id, self.now)
        #: person match keys added or removed during the whole pass (what `relink` can reach)
        self.person_keys: set[Key] = set() if person_keys is None else person_keys
        self.derivers = {entity: KeyDeriver(r) for entity, r in rules.items()}
        #: (source record id, content hash) -> its keys: derived once, for matching and writing
        self._derived: dict[tuple[int, str], Derived] = {}
        #: (entity, instance) -> (position, index, name) of the match rules that apply to it
        self._applicable: dict[tuple[str, str], tuple[tuple[int, str, str], ...]] = {}
        #: entities this batch created -> the batch's records linked to them (all they have)
        self._fresh: dict[str, list[tuple[LinkedRecord, Derived]]] = {}

    def derived(self, entity: str, record_id: int, content_hash: str, fragment: dict[str, Any]) -> Derived:
        """A record version's match keys, derived the first time this pass needs them."""
        known = self._derived.get((record_id, content_hash))
        if known is None:
            known = self._derived[(record_id, content_hash)] = self.derivers[entity].of(fragment)
        return known

    # -- matching ------------------------------------------------------------------------
    def match(
        self, entity: str, record: Any, index: KeyIndex, derived: Derived
    ) -> tuple[str | None, str | None]:
        """(entity id, rule) for a record; ("", None) for a new entity; (None, rule) when ambiguous.

        A candidate found by a weaker rule is not the same entity if a stronger rule's keys exist on
        both sides and differ (two employee IDs sharing one email are two people).
        """
        stronger: list[tuple[str, set[str]]] = []
        for position, index_name, rule_name in self.applicable(entity, record.instance):
            keys = derived[position]
            if not keys:
                continue
            found = index.find(index_name, keys)
            earlier = [x for x in stronger if x[0] != index_name]
            if found and earlier:
                found = {c for c in found if not _contradicts(index, c, earlier)}
            stronger.append((index_name, set(keys)))
            if len(found) == 1:
                return found.pop(), rule_name
            if len(found) > 1:
                self._review(entity, record, rule_name, sorted(found))
                return None, rule_name
        return "", None

    def applicable(self, entity: str, instance: str) -> tuple[tuple[int, str, str], ...]:
        """(position, index, name) of the rules that apply to this instance's records, in order."""
        known = self._applicable.get((entity, instance))
        if known is None:
            kind = self.types.get(instance)
            known = self._applicable[(entity, instance)] = tuple(
                (i, rule.index_name, rule.name)
                for i, rule in enumerate(self.rules[entity].match)
                if applies(rule, instance, kind)
            )
        return known

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
        new_links: list[tuple[Any, ...]] = []
        unlinked = {
            r.id: self.derived(entity, r.id, r.content_hash, r.fragment or {})
            for r in records
            if r.id not in links and r.deleted_at is None
        }
        index = KeyIndex(self.conn, entity, self.derivers[entity])
        index.load(unlinked.values())
        for record in records:
            if record.id in links:
                affected.add(links[record.id])
                continue
            if record.deleted_at is not None:
                continue
            entity_id, rule = self.match(entity, record, index, unlinked[record.id])
            if entity_id is None:
                continue
            if entity_id == "":
                entity_id, rule = new_entity_id(), "new"
                index.add_new(entity_id, unlinked[record.id])
                self._fresh[entity_id] = []
            if entity_id in self._fresh:
                self._fresh[entity_id].append((self._linked(record), unlinked[record.id]))
            new_links.append((entity, entity_id, record.id, rule))
            affected.add(entity_id)
        at = stored(self.conn, self.now)
        insert_rows(self.conn, entity_links, LINK_COLUMNS, [(*link, at) for link in new_links])
        self.apply_all(entity, sorted(affected))
        self._changes.flush(self.conn)
        self.summary.records += len(ids)

    @property
    def postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    # -- merging and writing -----------------------------------------------------------------
    def _linked(self, record: Any) -> LinkedRecord:
        """A record this batch read, as a merge takes it."""
        instance = record.instance
        fragment = record.fragment or {}
        return LinkedRecord(
            record.id,
            instance,
            self.types.get(instance, instance),
            record.stream,
            fragment,
            record.last_changed_at,
        )

    def linked_records(
        self, entity: str, entity_ids: list[str]
    ) -> tuple[dict[str, list[LinkedRecord]], dict[str, list[Derived]]]:
        """Live source records linked to each entity and their match keys, in one query per chunk
        (driver rows: the fragment decoded by orjson, not by a per-row type processor). An entity
        this batch created has only the batch's records, already in memory: not read again."""
        linked: dict[str, list[LinkedRecord]] = defaultdict(list)
        keys: dict[str, list[Derived]] = defaultdict(list)
        stored: list[str] = []
        for entity_id in entity_ids:
            fresh = self._fresh.get(entity_id)
            if fresh is None:
                stored.append(entity_id)
                continue
            linked[entity_id] = [record for record, _ in fresh]
            keys[entity_id] = [derived for _, derived in fresh]
        for entity_id, record_id, instance, stream, fragment, changed_at, content_hash in linked_rows(
            self.conn, entity, stored
        ):
            keys[entity_id].append(self.derived(entity, record_id, content_hash, fragment or {}))
            linked[entity_id].append(
                LinkedRecord(
                    record_id,
                    instance,
                    self.types.get(instance, instance),
                    stream,
                    fragment or {},
                    changed_at,
                )
            )
        return linked, keys

    def apply_all(self, entity: str, entity_ids: list[str]) -> None:
        """Merge and write every affected entity, reading and writing per chunk rather than per row."""
        table = ENTITY_TABLES[entity]
        names = tuple(KEY_COLUMNS[entity])
        for start in range(0, len(entity_ids), APPLY_CHUNK):
            chunk = entity_ids[start : start + APPLY_CHUNK]
            linked, keys = self.linked_records(entity, chunk)
            current = entity_rows(self.conn, table, chunk)
            persons = PersonIndex(self.conn)
            if entity in PERSON_LINK_COLUMNS:
                fragments = (rec.fragment for records in linked.values() for rec in records)
                persons.prefetch(f.get(name) for f in fragments for name in HINT_FIELDS)
            writes = EntityWrites(names, existing=set(current))
            for entity_id in chunk:
                records = linked.get(entity_id, [])
                found = (records, keys.get(entity_id, []))
                self.apply(entity, entity_id, found, current.get(entity_id), writes, persons)
            writes.flush(self.conn, entity, table, self.now)
            self.person_keys |= writes.changed_keys

    def apply(
        self,
        entity: str,
        entity_id: str,
        found: tuple[list[LinkedRecord], list[Derived]],
        current: Any,
        writes: EntityWrites,
        persons: PersonIndex,
    ) -> None:
        """Merge one entity's live records into the chunk's writes (and its change-log row)."""
        records, record_keys = found
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
        if current is None:
            writes.inserts.append((entity_id, self._values(writes, columns, merged)))
            self.summary.created[entity] += 1
        elif (
            old != merged.attrs
            or dict(current.field_sources) != merged.field_sources
            or current.deleted_at is not None
            or any(getattr(current, k) != v for k, v in columns.items())
        ):
            writes.updates.append((entity_id, self._values(writes, columns, merged)))
            self.summary.updated[entity] += 1
        writes.entity_ids.append(entity_id)
        writes.keys[entity_id] = self.derivers[entity].entity_keys(merged.attrs, record_keys)
        writes.conflicts += [
            (
                entity_id,
                c.field,
                c.chosen_source,
                json_text(c.chosen_value),
                c.other_source,
                json_text(c.other_value),
            )
            for c in merged.conflicts
        ]
        self.summary.conflicts += len(merged.conflicts)

    @staticmethod
    def _values(writes: EntityWrites, columns: dict[str, Any], merged: Any) -> tuple[Any, ...]:
        """An entity row's values as `EntityWrites` holds them (key columns, then encoded JSON)."""
        return (
            *(columns[name] for name in writes.key_columns),
            json_text(merged.attrs),
            json_text(merged.field_sources),
        )

    def relink(self) -> None:
        """Give accounts, assets and resources without a person a second chance, after this pass
        added or removed person match keys: only rows with a link hint on such a key are looked up
        again (one query per table for the unlinked rows, one executemany for the new links)."""
        if not self.person_keys:
            return
        for entity, column in PERSON_LINK_COLUMNS.items():
            table = ENTITY_TABLES[entity]
            rows = self.conn.execute(
                sa.select(table.c.id, table.c.attrs).where(
                    getattr(table.c, column).is_(None), table.c.deleted_at.is_(None)
                )
            ).all()
            reachable = [row for row in rows if reaches(dict(row.attrs), self.person_keys)]
            persons = PersonIndex(self.conn)
            persons.prefetch(row.attrs.get(name) for row in reachable for name in HINT_FIELDS)
            linked = [
                (person_id, row.id)
                for row in reachable
                if (person_id := key_columns(persons, entity, dict(row.attrs)).get(column))
            ]
            update_rows(self.conn, table, (column,), ("id",), linked)
            self.summary.relinked += len(linked)


@locked_stage("resolve")
def resolve(hub: Hub) -> ResolveSummary:
    """Resolve every unresolved source record (people first); returns what changed.

    One runner at a time per store (the `resolve` stage lock; a second one waits, see
    `core/store/locks.py`)."""
    summary = ResolveSummary(run_id=str(uuid.uuid4()))
    rules = load_rules(hub.config.resolution)
    with hub.store.engine.begin() as conn:  # first, and on its own: see horizon_now
        to = horizon_now(conn)
    with hub.store.engine.begin() as conn:
        before = horizons(conn)
        skip = held_streams(conn, hub.config, summary.run_id)
    summary.held = [f"{i}/{s}" for i, s in sorted(skip)]
    looked_up = [
        match_keys.name,
        entity_links.name,
        conflicts.name,
        *(t.name for t in ENTITY_TABLES.values()),
    ]
    statistics = StatisticsRefresh(hub.store, looked_up)
    person_keys: set[Key] = set()
    read = False
    for entity in ENTITY_ORDER:
        for rows in _pending(hub, entity, before):
            read = True
            with hub.store.engine.begin() as conn:
                batch = [r for r in rows if (r.instance, r.stream) not in skip]
                if batch:
                    _Pass(hub, conn, summary, rules, person_keys).batch(entity, batch)
            statistics.grew(len(rows))
    with hub.store.engine.begin() as conn:
        if person_keys:
            _Pass(hub, conn, summary, rules, person_keys).relink()
        advance(conn, before, to if read else before.resolved, skip)
    log.info("resolution: %s", summary.as_dict())
    return summary


def _pending(hub: Hub, entity: str, before: Horizons) -> Iterator[list[Any]]:
    """One entity's pending records in batches, in (stamp, id) order, each batch read in its own
    transaction (`pending_rows`)."""
    after: tuple[int, int] | None = None
    while True:
        with hub.store.engine.connect() as conn:
            rows = pending_rows(conn, entity, before, after, BATCH)
        if not rows:
            return
        after = (rows[-1].staged_seq, rows[-1].id)
        yield rows


def resolve_records(hub: Hub, conn: sa.Connection, record_ids: list[int]) -> ResolveSummary:
    """Resolve just these source records (people first) inside the caller's transaction.

    Provisioning on demand runs it in a transaction it rolls back (the plan) or commits (the
    apply); the mass-change guard's holds are the scheduled pass's business, not one person's.
    The records stay pending: the next scheduled pass merges them again and, finding what this
    one wrote, writes nothing.
    """
    summary = ResolveSummary(run_id=str(uuid.uuid4()))
    rules = load_rules(hub.config.resolution)
    t = source_records
    pending = horizons(conn).pending()
    person_keys: set[Key] = set()
    for entity in ENTITY_ORDER:
        rows = conn.execute(
            sa.select(*RECORD_COLUMNS)
            .where(t.c.id.in_(record_ids), pending, t.c.entity == entity)
            .order_by(t.c.id)
        ).all()
        if rows:
            _Pass(hub, conn, summary, rules, person_keys).batch(entity, list(rows))
    _Pass(hub, conn, summary, rules, person_keys).relink()
    return summary
