"""How resolution writes: a fixed number of statements per chunk whatever its size, match keys
rewritten only when they change, and links to persons found again only where new keys reach."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core.hub import Hub
from core.resolve.config import load_rules
from core.resolve.engine import resolve
from core.resolve.ids import new_entity_id
from core.resolve.merge import LinkedRecord, merge
from core.resolve.rows import change_rows, entity_rows, json_value
from core.store.schema import accounts, change_log, entity_links, match_keys, persons
from tests.engine.staging import make_hub, person, stage

_VERB = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM)\s+(\w+)", re.S | re.I)


@dataclass
class Statements:
    """Statements the store received, by (verb, table), with the rows each one carried."""

    seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    rows: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        found = _VERB.match(statement)
        if found is None:
            return
        verb = found.group(1).split()[0].upper()
        key = (verb, found.group(2).lower())
        self.seen[key] += 1
        if executemany:
            self.rows[key] += len(parameters)
        elif "VALUES (" in statement:  # one multi-row statement (PostgreSQL): a row per group
            self.rows[key] += statement.count("), (") + 1
        else:
            self.rows[key] += 1


@contextmanager
def statements(hub: Hub) -> Iterator[Statements]:
    seen = Statements()
    sa.event.listen(hub.store.engine, "before_cursor_execute", seen)
    try:
        yield seen
    finally:
        sa.event.remove(hub.store.engine, "before_cursor_execute", seen)


def _workers(count: int, **fields: Any) -> dict[str, dict[str, Any]]:
    return {f"W{i}": person(f"E{i:05d}", work_email=f"w{i}@city.gov", **fields) for i in range(count)}


def _count(hub: Hub, table: sa.Table) -> int:
    with hub.store.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _writes(seen: Statements) -> Counter[tuple[str, str]]:
    return Counter({k: n for k, n in seen.seen.items() if k[0] != "SELECT" and k[1] != "stage_locks"})


def test_a_first_load_costs_the_same_statements_for_ten_persons_as_for_four_hundred(store_url: str) -> None:
    costs = []
    for size in (10, 400):
        hub = make_hub(store_url)
        offset = 0 if size == 10 else 10_000
        workers = {
            f"W{offset + i}": person(f"E{offset + i:05d}", work_email=f"w{offset + i}@city.gov")
            for i in range(size)
        }
        stage(hub, "workday", "workers", "person", workers)
        with statements(hub) as seen:
            resolve(hub)
        costs.append((seen, size))
    (small, _), (large, size) = costs
    entity_writes = {k: n for k, n in _writes(large).items() if k[1] != "change_log"}
    assert entity_writes == {k: n for k, n in _writes(small).items() if k[1] != "change_log"}, (
        "one batch, one chunk: the same statements whatever their size"
    )
    assert entity_writes[("INSERT", "persons")] == 1 and large.rows[("INSERT", "persons")] == size
    assert entity_writes[("INSERT", "entity_links")] == 1 and large.rows[("INSERT", "entity_links")] == size
    assert entity_writes[("INSERT", "match_keys")] == 1
    assert large.rows[("INSERT", "match_keys")] == 2 * size, "employee ID and email of each person"
    assert ("DELETE", "match_keys") not in entity_writes, "new persons have no keys to delete"
    assert ("DELETE", "conflicts") not in entity_writes, "new persons have no conflicts to delete"
    reads = {k: n for k, n in large.seen.items() if k[0] == "SELECT" and k[1] == "match_keys"}
    assert sum(reads.values()) <= 3, f"one read per match index, not per record: {reads}"


def test_records_matched_by_email_but_contradicted_by_employee_id_cost_no_query_each(store_url: str) -> None:
    """Two employee IDs sharing one email are two people: told apart from the keys held in memory."""
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", _workers(60))
    resolve(hub)
    others = {f"M{i}": person(f"X{i:05d}", work_email=f"w{i}@city.gov") for i in range(60)}
    stage(hub, "munis", "employees", "person", others)
    with statements(hub) as seen:
        summary = resolve(hub)
    assert summary.created["person"] == 60 and summary.review == 0
    assert _count(hub, persons) == 120
    key_reads = seen.seen[("SELECT", "match_keys")]
    assert key_reads <= 4, (
        f"index reads plus one read of the candidates' keys, not one per record: {key_reads}"
    )


def test_match_keys_are_only_rewritten_when_they_change(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", _workers(50))
    resolve(hub)
    with hub.store.engine.connect() as conn:
        before = set(conn.execute(sa.select(match_keys)).all())

    stage(hub, "workday", "workers", "person", _workers(50, title="Senior Analyst"))
    with statements(hub) as seen:
        summary = resolve(hub)
    assert summary.updated["person"] == 50
    assert seen.rows[("UPDATE", "persons")] == 50 and seen.seen[("UPDATE", "persons")] == 1
    assert ("INSERT", "match_keys") not in seen.seen and ("DELETE", "match_keys") not in seen.seen
    with hub.store.engine.connect() as conn:
        assert set(conn.execute(sa.select(match_keys)).all()) == before

    moved = _workers(50, title="Senior Analyst")
    moved["W7"] = {**moved["W7"], "work_email": "seven@city.gov"}
    stage(hub, "workday", "workers", "person", moved)
    with statements(hub) as seen:
        resolve(hub)
    assert seen.rows[("DELETE", "match_keys")] == 1 and seen.rows[("INSERT", "match_keys")] == 1
    with hub.store.engine.connect() as conn:
        after = {(r.rule, r.value) for r in conn.execute(sa.select(match_keys))}
    assert ("email", "seven@city.gov") in after and ("email", "w7@city.gov") not in after
    assert len(after) == 100


def _account(login: str, external_id: str) -> dict[str, Any]:
    return {"system": "entra", "external_id": external_id, "login": login, "enabled": True}


def test_accounts_are_relinked_only_where_new_person_keys_reach(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(
        hub,
        "office365",
        "users",
        "account",
        {f"u{i}": _account(f"w{i}@city.gov", f"u{i}") for i in range(30)}
        | {"svc": _account("svc@city.gov", "svc")},
    )
    resolve(hub)
    assert _count(hub, accounts) == 31

    stage(hub, "workday", "workers", "person", _workers(30))
    with statements(hub) as seen:
        summary = resolve(hub)
    assert summary.relinked == 30
    assert seen.seen[("UPDATE", "accounts")] == 1 and seen.rows[("UPDATE", "accounts")] == 30
    with hub.store.engine.connect() as conn:
        unlinked = conn.scalars(sa.select(accounts.c.external_id).where(accounts.c.person_id.is_(None))).all()
        linked = conn.execute(
            sa.select(accounts.c.external_id, persons.c.employee_id).join(
                persons, persons.c.id == accounts.c.person_id
            )
        ).all()
    assert unlinked == ["svc"]
    assert sorted(linked) == sorted((f"u{i}", f"E{i:05d}") for i in range(30))

    stage(hub, "workday", "workers", "person", _workers(30, title="Senior Analyst"))
    with statements(hub) as seen:
        again = resolve(hub)
    assert again.relinked == 0 and ("UPDATE", "accounts") not in seen.seen, "no person key changed"


def test_a_person_whose_email_changes_reaches_the_account_named_by_the_new_one(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", work_email="ana@city.gov")})
    stage(hub, "office365", "users", "account", {"u1": _account("a.ruiz@city.gov", "u1")})
    resolve(hub)
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(accounts.c.person_id)) is None

    stage(hub, "workday", "workers", "person", {"W1": person("E1", work_email="a.ruiz@city.gov")})
    summary = resolve(hub)
    assert summary.relinked == 1 and summary.created.get("person") is None
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(accounts.c.person_id)) == conn.scalar(sa.select(persons.c.id))


def test_every_new_link_is_one_row_per_record(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", _workers(40))
    stage(
        hub,
        "munis",
        "employees",
        "person",
        {f"M{i}": person(f"e{i:05d}", title="Accountant") for i in range(40)},
    )
    summary = resolve(hub)
    assert summary.created["person"] == 40
    with hub.store.engine.connect() as conn:
        rules = Counter(conn.scalars(sa.select(entity_links.c.rule)).all())
    assert rules == {"new": 40, "employee_id": 40}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON)
def test_a_stored_fragment_reads_back_as_the_standard_library_reads_it(value: Any) -> None:
    """Fragments are decoded by orjson on the hot path; big integers and the rest come back exact."""
    for text in (json.dumps(value), json.dumps(value, separators=(",", ":"))):
        assert json_value(text) == json.loads(text)
        assert type(json_value(text)) is type(json.loads(text))


def test_current_rows_read_through_the_driver_equal_what_sqlalchemy_reads(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", _workers(5) | {"W9": person("E9", status="terminated")})
    stage(hub, "office365", "users", "account", {"u1": _account("w1@city.gov", "u1") | {"enabled": False}})
    resolve(hub)
    stage(hub, "workday", "workers", "person", {"W9": None})
    resolve(hub)  # W9's person is deleted: a deleted_at to read back
    for table in (persons, accounts):
        with hub.store.engine.connect() as conn:
            expected = {row.id: row._asdict() for row in conn.execute(sa.select(table))}
            read = entity_rows(conn, table, sorted(expected))
            some = entity_rows(conn, table, sorted(expected), ("id", "attrs", "deleted_at"))
        assert {k: v._asdict() for k, v in read.items()} == expected
        assert {k: v._asdict() for k, v in some.items()} == {
            k: {"id": k, "attrs": row["attrs"], "deleted_at": row["deleted_at"]}
            for k, row in expected.items()
        }
        if table is persons:
            assert sum(row["deleted_at"] is not None for row in expected.values()) == 1
        else:
            assert [row["enabled"] for row in expected.values()] == [False]
    with hub.store.engine.connect() as conn:
        logged = conn.execute(
            sa.select(change_log).where(change_log.c.entity == "person").order_by("id")
        ).all()
        ids = sorted({row.entity_id for row in logged})
        first, last = logged[0].id, logged[-1].id
        read_changes = change_rows(conn, "person", ids[1:], first, last)
    assert [tuple(row) for row in read_changes] == [
        (row.id, row.entity_id, row.changes) for row in logged if row.entity_id in ids[1:] and row.id > first
    ], "the changes of these people in (first, last], oldest first, decoded as SQLAlchemy decodes them"
    assert read_changes and any(row.changes for row in read_changes)


_FIELD_VALUES = st.none() | st.just("") | st.just([]) | st.text(max_size=5) | st.integers() | st.booleans()


@given(
    st.dictionaries(st.sampled_from(["employee_id", "title", "work_email", "upn", "org_unit"]), _FIELD_VALUES)
)
def test_one_record_merges_as_it_would_beside_a_record_with_nothing(fragment: dict[str, Any]) -> None:
    """The one-record shortcut of `merge` chooses what the general ranking chooses."""
    rules = load_rules({})["person"]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    alone = LinkedRecord(1, "workday", "workday", "workers", fragment, at)
    empty = LinkedRecord(2, "munis", "munis", "employees", {}, at)
    assert merge([alone], rules) == merge([alone, empty], rules)


def test_a_first_load_writes_five_rows_per_person_and_never_rewrites_a_staged_record(store_url: str) -> None:
    """The person, its link, its two match keys (employee ID, email) and its change-log row; the
    pass's progress is one horizon row, not a mark on every staged record."""
    hub = make_hub(store_url)
    size = 300
    stage(hub, "workday", "workers", "person", _workers(size))
    with statements(hub) as seen:
        resolve(hub)
    written = Counter({k: n for k, n in seen.rows.items() if k in _writes(seen)})
    assert not [k for k in written if k[1] == "source_records"], "staged records are not rewritten"
    assert sum(written.values()) == 5 * size + 1, written
    assert written[("UPDATE", "resolution_cursors")] == 1
    with statements(hub) as again:
        resolve(hub)
    assert _writes(again) == Counter(), "a pass with nothing pending writes nothing"


def test_new_entity_ids_are_uuids_made_in_increasing_order() -> None:
    """So a first load appends to the indexes that hold them instead of touching a random page
    per row; within one millisecond they still increase."""
    made = [new_entity_id() for _ in range(5000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert {uuid.UUID(i).version for i in made} == {7}
    assert all(str(uuid.UUID(i)) == i for i in made), "the canonical text form"
    assert len({i[-12:] for i in made}) == len(made), "random bits drawn afresh for each id"


def test_a_forked_process_draws_other_random_bits_than_its_parent() -> None:
    """Ids come from a pool of random bytes: a child must not draw the ones its parent will."""
    new_entity_id()  # the pool is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids' random tails, to the parent
        os.write(write, ",".join(new_entity_id()[-12:] for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = set(os.read(read, 1 << 16).decode().split(","))
    os.close(read)
    parent = {new_entity_id()[-12:] for _ in range(50)}
    assert len(child) == 50 and not child & parent
