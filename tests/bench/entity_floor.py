"""The floors resolution and lifecycle evaluation are read against, measured in the same process
on the same rows just before the hub does the same work.

Resolution's floor reads the pending staged records the hub is about to resolve (those stamped at
or above the resolution horizon, `core.store.resolution_cursor`), groups them
into entities by the same match keys (a dict lookup per key; the first source in precedence order
gives a field), and writes what a resolution must write at least: one row per entity, one link per
record, one row per match key, one change row per new or changed entity and the horizon moved
past what it read (one row a pass), by the driver alone into bare keyed tables (a transaction per 1,000 entities; new rows by
`executemany` on SQLite and COPY on PostgreSQL, upserts by `executemany`). On a later pass it
reads the chunk's stored keys and entities first and writes only what changed.

Evaluation's floor reads the person change rows past the cursor joined to the persons' current
rows, derives each person's employment (state, hire, termination), and writes an employment row
per person, and per termination inside the window an event, a ticket and an outbox intent, and the
cursor; the same rows the hub writes for these records. A person first seen with a hire inside
the window gets a joiner's event, ticket and intent the same way, and a person whose job fields
changed (`MOVE_FIELDS`) a mover's.

Left out is what the hub adds to that minimum: SQLAlchemy, the stage locks and the mass-change
guard, per-field precedence beyond "first source wins", conflicts, review, field sources,
relinking, playbooks and templates, storm guard, idempotency look-ups. The figure beside the floor
says what that costs.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from core.lifecycle.changes import MOVE_FIELDS
from core.resolve.config import DEFAULTS, ENTITY_ORDER
from core.resolve.keys import rule_keys
from core.store.engine import SQLITE_PAGE_SIZE
from tests.bench.floor import Floor, Stopwatch

CHUNK = 1000

_TABLES = (
    "CREATE TABLE floor_entities (id TEXT PRIMARY KEY, entity TEXT NOT NULL, attrs {json} NOT NULL)",
    "CREATE TABLE floor_links (source_record_id BIGINT PRIMARY KEY, entity TEXT NOT NULL, entity_id TEXT NOT NULL)",
    "CREATE TABLE floor_keys (entity TEXT, rule TEXT, value TEXT, entity_id TEXT NOT NULL, "
    "PRIMARY KEY (entity, rule, value))",
    "CREATE TABLE floor_changes (id {serial} PRIMARY KEY, entity TEXT NOT NULL, entity_id TEXT NOT NULL, "
    "kind TEXT NOT NULL, changes {json} NOT NULL)",
    "CREATE TABLE floor_horizon (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    "CREATE TABLE floor_employments (person_id TEXT PRIMARY KEY, state TEXT, hire_date TEXT, termination_date TEXT)",
    "CREATE TABLE floor_events (id TEXT PRIMARY KEY, person_id TEXT NOT NULL, event_type TEXT NOT NULL, "
    "effective_date TEXT, before {json}, after {json})",
    "CREATE TABLE floor_tickets (key TEXT PRIMARY KEY, event_id TEXT NOT NULL, person_id TEXT NOT NULL, "
    "title TEXT NOT NULL, description TEXT NOT NULL, due_date TEXT NOT NULL, tasks {json} NOT NULL)",
    "CREATE TABLE floor_outbox (id {serial} PRIMARY KEY, ticket_key TEXT NOT NULL, action TEXT NOT NULL, "
    "state TEXT NOT NULL)",
    "CREATE TABLE floor_cursor (consumer TEXT PRIMARY KEY, last_id BIGINT NOT NULL)",
)
_NAMES = [t.split()[2] for t in _TABLES]


@dataclass
class Target:
    """Where a floor reads the hub's rows and writes its own: on SQLite the hub's file is read by
    one connection and the floor's own file written by another; on PostgreSQL both are the hub's
    database (its `floor_*` tables). `reset()` empties the floor's tables (not timed)."""

    url: str
    scratch: Path | None = None

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def connect(self) -> tuple[Any, Any]:
        if self.postgres:
            import psycopg

            conn = psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"))
            return conn, conn
        assert self.scratch is not None
        reader = sqlite3.connect(self.url.removeprefix("sqlite:///"))
        writer = sqlite3.connect(self.scratch, isolation_level=None)
        writer.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # the hub's own page size
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA synchronous=NORMAL")
        return reader, writer

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def reset(self) -> None:
        _, writer = self.connect()
        kinds = (
            {"json": "JSONB", "serial": "BIGSERIAL"}
            if self.postgres
            else {"json": "TEXT", "serial": "INTEGER"}
        )
        for name, create in zip(_NAMES, _TABLES, strict=True):
            writer.execute(f"DROP TABLE IF EXISTS {name}")
            writer.execute(create.format(**kinds))
        if self.postgres:
            writer.commit()
        writer.close()


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class _Writer:
    """A transaction per chunk; statements by `executemany` with `?` placeholders."""

    def __init__(self, target: Target, conn: Any) -> None:
        self.target, self.conn, self.rows = target, conn, 0

    def begin(self) -> None:
        if not self.target.postgres:
            self.conn.execute("BEGIN")

    def many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cursor = self.conn.cursor()
            cursor.executemany(self.target.sql(statement), rows)
            self.rows += cursor.rowcount if cursor.rowcount >= 0 else len(rows)
            cursor.close()

    def insert(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        """New rows only: on PostgreSQL by COPY (the cheapest way in), on SQLite by executemany."""
        if not rows:
            return
        if not self.target.postgres:
            self.many(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(rows[0]))})", rows)
            return
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.rows += len(rows)

    def commit(self) -> None:
        self.conn.commit() if self.target.postgres else self.conn.execute("COMMIT")

    def put(self, table: str, key: str, column: str, name: str, value: Any) -> None:
        """One cursor row (`key` = name) set to `value` in its own transaction, as the hub moves its
        cursors and horizons: one row a pass, whatever the pass read."""
        self.begin()
        self.many(
            f"INSERT INTO {table} ({key}, {column}) VALUES (?, ?) "
            f"ON CONFLICT ({key}) DO UPDATE SET {column} = excluded.{column}",
            [(name, value)],
        )
        self.commit()

    def finish(self, watch: Stopwatch, reader: Any) -> Floor:
        """Stop the clock, close both connections, and report the floor with the rows it wrote."""
        floor = watch.stop()
        reader.close()
        if self.conn is not reader:
            self.conn.close()
        return Floor(floor.seconds, floor.cpu, self.rows)


def _in(target: Target, column: str, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    if target.postgres:
        return f"{column} = ANY(%s)", (list(values),)
    return f"{column} IN ({', '.join('?' * len(values))})", tuple(values)


def _precedence(entity: str, instance: str) -> int:
    order = DEFAULTS[entity].precedence.get("default") or []
    return order.index(instance) if instance in order else len(order)


def resolution_floor(target: Target) -> Floor:
    """Wall and CPU seconds of the floor's resolution of every pending staged record."""
    reader, writer = target.connect()
    out = _Writer(target, writer)
    watch = Stopwatch()
    horizon = reader.execute(
        target.sql("SELECT value FROM resolution_cursors WHERE name = ?"), ("resolved",)
    ).fetchone()
    since = int(horizon[0]) if horizon else 0
    rows = reader.execute(
        target.sql(
            "SELECT id, entity, instance, fragment, staged_seq FROM source_records "
            "WHERE staged_seq >= ? AND entity IS NOT NULL AND deleted_at IS NULL"
        ),
        (since,),
    ).fetchall()
    for entity in ENTITY_ORDER:
        groups = _group(entity, [r for r in rows if r[1] == entity])
        for chunk in _chunks(groups):
            _resolve_chunk(out, entity, chunk)
    if rows:  # the horizon moves past what was read: one row, whatever the pass read
        out.put("floor_horizon", "name", "value", "resolved", max(int(r[4]) for r in rows) + 1)
    return out.finish(watch, reader)


#: a staged record as the floor holds it: id, precedence of its source, fragment, match keys
_Record = tuple[int, int, dict[str, Any], list[tuple[str, str]]]


def _group(entity: str, rows: list[tuple[Any, ...]]) -> list[list[_Record]]:
    """The pass's records of one entity type grouped by shared match keys (one group an entity)."""
    rules = DEFAULTS[entity].match
    index: dict[tuple[str, str], int] = {}
    groups: list[list[_Record]] = []
    for record_id, _, instance, raw, _stamp in rows:
        fragment = _decoded(raw)
        keys = [(rule.index_name, k) for rule in rules for k in rule_keys(rule, fragment)]
        found = next((index[k] for k in keys if k in index), None)
        if found is None:
            found = len(groups)
            groups.append([])
        for k in keys:
            index.setdefault(k, found)
        groups[found].append((record_id, _precedence(entity, instance), fragment, keys))
    return groups


def _resolve_chunk(out: _Writer, entity: str, groups: Sequence[list[_Record]]) -> None:
    """One transaction: the chunk's stored keys and entities read, then what changed written."""
    wanted: dict[str, set[str]] = {}
    for group in groups:
        for record in group:
            for rule, value in record[3]:
                wanted.setdefault(rule, set()).add(value)
    cursor = out.conn.cursor()
    index: dict[tuple[str, str], str] = {}
    for rule, values in wanted.items():  # by rule: the key's primary key (entity, rule, value) finds them
        where, params = _in(out.target, "value", sorted(values))
        cursor.execute(
            out.target.sql(
                f"SELECT value, entity_id FROM floor_keys WHERE entity = ? AND rule = ? AND {where}"
            ),
            (entity, rule, *params),
        )
        index.update(((rule, value), eid) for value, eid in cursor.fetchall())
    stored: dict[str, Any] = {}
    if index:
        where, params = _in(out.target, "id", sorted(set(index.values())))
        cursor.execute(out.target.sql(f"SELECT id, attrs FROM floor_entities WHERE {where}"), params)
        stored = {eid: orjson.loads(a) if isinstance(a, (str, bytes)) else a for eid, a in cursor.fetchall()}
    cursor.close()
    entities, changes, keys, links = [], [], [], []
    for group in groups:
        group_keys = [k for record in group for k in record[3]]
        eid = next((index[k] for k in group_keys if k in index), None) or str(uuid.uuid4())
        before = stored.get(eid, {})
        attrs = dict(before)
        for record in sorted(group, key=lambda r: (-r[1], r[0])):  # the most trusted source last
            attrs.update((f, v) for f, v in record[2].items() if v is not None)
        if attrs != before:
            diff = {f: [before.get(f), v] for f, v in attrs.items() if before.get(f) != v}
            entities.append((eid, entity, orjson.dumps(attrs).decode()))
            changes.append((entity, eid, "updated" if before else "created", orjson.dumps(diff).decode()))
        keys += [
            (entity, rule, value, eid)
            for rule, value in dict.fromkeys(group_keys)
            if (rule, value) not in index
        ]
        links += [(record[0], entity, eid) for record in group]
    out.begin()
    out.many(
        "INSERT INTO floor_entities (id, entity, attrs) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET attrs = excluded.attrs",
        entities,
    )
    out.insert("floor_keys", "entity, rule, value, entity_id", keys)
    out.insert("floor_changes", "entity, entity_id, kind, changes", changes)
    out.many(
        "INSERT INTO floor_links (source_record_id, entity, entity_id) VALUES (?, ?, ?) "
        "ON CONFLICT (source_record_id) DO NOTHING",
        links,
    )
    out.commit()


def evaluation_floor(target: Target, today: date, window_days: int = 14) -> Floor:
    """Wall and CPU seconds of the floor's evaluation of every person change past the hub's cursor."""
    reader, writer = target.connect()
    out = _Writer(target, writer)
    watch = Stopwatch()
    cursor = reader.execute("SELECT last_id FROM change_cursors WHERE consumer = 'lifecycle'").fetchone()
    rows = reader.execute(
        target.sql(
            "SELECT c.id, c.entity_id, c.changes, p.employee_id, p.attrs FROM change_log c "
            "JOIN persons p ON p.id = c.entity_id WHERE c.entity = 'person' AND c.id > ? ORDER BY c.id"
        ),
        (cursor[0] if cursor else 0,),
    ).fetchall()
    people: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        people.setdefault(row[1], []).append(row)
    horizon = (today - timedelta(days=window_days)).isoformat()
    for chunk in _chunks(list(people.items())):
        _evaluate_chunk(out, chunk, horizon, today.isoformat())
    if rows:
        out.put("floor_cursor", "consumer", "last_id", "lifecycle", rows[-1][0])
    return out.finish(watch, reader)


def _decoded(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _evaluate_chunk(
    out: _Writer, chunk: Sequence[tuple[str, list[tuple[Any, ...]]]], horizon: str, today: str
) -> None:
    """One transaction: the chunk's stored employments read, then changed ones, joiners' and
    leavers' events, tickets and outbox intents written."""
    where, params = _in(out.target, "person_id", [person_id for person_id, _ in chunk])
    cursor = out.conn.cursor()
    cursor.execute(
        out.target.sql(
            f"SELECT person_id, state, hire_date, termination_date FROM floor_employments WHERE {where}"
        ),
        params,
    )
    stored = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    cursor.close()
    employments: list[tuple[Any, ...]] = []
    opened: list[tuple[str, dict[str, Any], str, str]] = []
    for person_id, changes in chunk:
        attrs = _decoded(changes[-1][4])
        employment = (attrs.get("status"), attrs.get("hire_date"), attrs.get("termination_date"))
        if employment != stored.get(person_id):
            employments.append((person_id, *employment))
        diffs = [_decoded(c[2]) for c in changes]
        hired, ended = employment[1], employment[2]
        first_seen = person_id not in stored and any(d.get("employee_id", [0])[0] is None for d in diffs)
        if first_seen and hired and hired >= horizon:
            opened.append((person_id, attrs, "joiner", hired))
        if (
            ended
            and ended >= horizon
            and any(d.get("status", [None, None])[1] == "terminated" for d in diffs)
        ):
            opened.append((person_id, attrs, "leaver", ended))
        moved = any(d.get(f, [None])[0] is not None for d in diffs for f in MOVE_FIELDS)
        if moved and not first_seen and attrs.get("status") in ("active", "on_leave", "pre_hire"):
            opened.append((person_id, attrs, "mover", today))
    events, tickets, intents = [], [], []
    for person_id, attrs, kind, day in opened:
        event_id, key = str(uuid.uuid4()), f"{person_id}:1:{kind}:{day}"
        name = f"{attrs.get('given_name', '')} {attrs.get('family_name', '')}"
        tasks = [{"name": f"{kind} task {n}", "state": "open"} for n in range(3)]
        events.append(
            (event_id, person_id, kind, day, orjson.dumps({}).decode(), orjson.dumps(attrs).decode())
        )
        tickets.append(
            (
                key,
                event_id,
                person_id,
                f"{kind}: {name}",
                f"{kind} of {name} on {day}",
                day,
                orjson.dumps(tasks).decode(),
            )
        )
        intents.append((key, "create", "pending"))
    out.begin()
    out.many(
        "INSERT INTO floor_employments (person_id, state, hire_date, termination_date) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET state = excluded.state, hire_date = excluded.hire_date, "
        "termination_date = excluded.termination_date",
        employments,
    )
    out.insert("floor_events", "id, person_id, event_type, effective_date, before, after", events)
    out.insert("floor_tickets", "key, event_id, person_id, title, description, due_date, tasks", tickets)
    out.insert("floor_outbox", "ticket_key, action, state", intents)
    out.commit()
