"""Evaluation writes a chunk of people together: their footprints are read with one query per table
for the whole chunk and say exactly what each person's own read says, and their events, tickets
and outbox intents go out in one statement per table, however many people the chunk holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.hub import Hub
from core.lifecycle.employments import Employment, employment_row, employments_of, insert_employments
from core.lifecycle.engine import evaluate
from core.lifecycle.footprint import DEFAULT_OWNER_TAGS, Footprints, Identity, _Unlinked
from core.resolve.engine import resolve
from core.store.schema import employments, persons
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage

KINDS = ("accounts", "licences", "assets", "iam_users", "access_keys", "cloud_resources")


def _world(hub: Hub, people: int) -> None:
    """People each holding an account linked by employee ID, a device known only by that
    account's login, an IAM user and a bucket known only by owner tags; and objects of nobody."""
    workers, users, devices, iam, buckets = {}, {}, {}, {}, {}
    for i in range(people):
        workers[f"W{i}"] = person(f"E{i}", work_email=f"p{i}@city.gov")
        users[f"u{i}"] = {
            "system": "entra", "external_id": f"u{i}", "employee_id": f"E{i}", "login": f"alt{i}@city.gov",
            "enabled": True, "licences": ["ENTERPRISEPACK"],
        }  # fmt: skip
        devices[f"d{i}"] = {"serial_number": f"SN{i}", "primary_user_upn": f"ALT{i}@city.gov"}
        iam[f"arn:{i}"] = {
            "system": "aws_iam", "external_id": f"arn:{i}", "login": f"svc-{i}", "cloud_account_id": "111",
            "tags": [{"Key": "OWNER", "Value": f"e{i}"}], "access_keys": [{"id": f"AK{i}", "status": "Active"}],
        }  # fmt: skip
        buckets[f"b{i}"] = {
            "provider": "aws",
            "resource_id": f"arn:b{i}",
            "tags": {"owner": f"alt{i}@city.gov"},
        }
    devices["stray"] = {"serial_number": "SN-X", "primary_user_upn": "nobody@city.gov"}
    buckets["stray"] = {"provider": "aws", "resource_id": "arn:stray", "tags": {"Owner": "E999"}}
    stage(hub, "workday", "workers", "person", workers)
    stage(hub, "office365", "users", "account", users)
    stage(hub, "office365", "devices", "asset", devices)
    stage(hub, "aws", "iam_users", "account", iam)
    stage(hub, "aws", "s3_buckets", "cloud_resource", buckets)
    resolve(hub)


def test_a_chunks_footprints_are_each_persons_own(sqlite_url: str) -> None:
    hub = make_hub(sqlite_url)
    _world(hub, 6)
    with hub.store.engine.connect() as conn:
        ids = dict(conn.execute(sa.select(persons.c.employee_id, persons.c.id)).all())
        chunk = Footprints(conn, ids.values())
        for employee_id, person_id in ids.items():
            alone = Footprints(conn, [person_id])
            found = {k: list(chunk.tasks(person_id, k)) for k in KINDS}
            assert found == {k: list(alone.tasks(person_id, k)) for k in KINDS}
            n = employee_id[1:]
            text = " | ".join(t for tasks in found.values() for t in tasks)
            for mine in (f"alt{n}@city.gov", "ENTERPRISEPACK", f"SN{n}", f"svc-{n}", f"AK{n}", f"arn:b{n}"):
                assert mine in text
            others = {f"SN{i}" for i in range(6) if str(i) != n} | {"SN-X", "arn:stray"}
            assert not any(o in text.split() or f"serial {o}," in text for o in others)


@contextmanager
def statements(hub: Hub) -> Iterator[list[str]]:
    sent: list[str] = []

    def hook(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        sent.append(" ".join(text.split()).upper())

    sa.event.listen(hub.store.engine, "before_cursor_execute", hook)
    try:
        yield sent
    finally:
        sa.event.remove(hub.store.engine, "before_cursor_execute", hook)


def _offboard(sqlite_url: str, people: int, leavers: int) -> list[str]:
    """The statements of the evaluation that plans `leavers` offboardings."""
    set_today("2026-03-02")
    unguarded = {"workers": {"guard": {"enabled": False}}}  # the leavers are no mass change here
    instances = [{**i, "streams": unguarded} if i["name"] == "workday" else i for i in INSTANCES]
    hub = make_hub(sqlite_url, instances=instances)
    _world(hub, people)
    evaluate(hub)  # existing staff
    terminated = {
        f"W{i}": person(
            f"E{i}", work_email=f"p{i}@city.gov", status="terminated", termination_date="2026-03-20"
        )
        for i in range(leavers)
    }
    stage(hub, "workday", "workers", "person", terminated)
    resolve(hub)
    with statements(hub) as sent:
        result = evaluate(hub)
    assert [a.action for a in result.actions] == ["create"] * leavers, result.line()
    hub.close()
    return sent


def _counts(sent: list[str]) -> dict[str, int]:
    reads = ("FROM ACCOUNTS", "FROM ASSETS", "FROM CLOUD_RESOURCES", "FROM LIFECYCLE_EVENTS")
    writes = (
        "INSERT INTO LIFECYCLE_EVENTS",
        "INSERT INTO TICKETS",
        "INSERT INTO OUTBOX",
        "UPDATE LIFECYCLE_EVENTS",
        "UPDATE EMPLOYMENTS",
    )
    counted = {r: sum(1 for s in sent if s.startswith("SELECT") and r in s) for r in reads}
    counted.update({w: sum(1 for s in sent if s.startswith(w)) for w in writes})
    return counted


def test_the_statements_of_a_chunk_of_leavers_do_not_grow_with_the_leavers(tmp_path: Any) -> None:
    few = _counts(_offboard(f"sqlite:///{tmp_path / 'few.db'}", 12, 2))
    many = _counts(_offboard(f"sqlite:///{tmp_path / 'many.db'}", 12, 10))
    assert few == many, "one query per table for the chunk, one executemany per table written"
    assert (
        many["INSERT INTO LIFECYCLE_EVENTS"] == many["INSERT INTO TICKETS"] == many["INSERT INTO OUTBOX"] == 1
    )
    assert many["UPDATE LIFECYCLE_EVENTS"] == 0, "an event is written in its final state"
    assert many["UPDATE EMPLOYMENTS"] == 1, "each leaver's employment takes its end in one executemany"


names = st.sampled_from(["ana@city.gov", "e1", "Ana@City.gov ", "bob", ""])
tag_keys = st.sampled_from(["owner", "Owner", "OWNER", "EmployeeId", "CreatedBy", "technical-contact"])
tags = st.one_of(
    st.none(),
    st.dictionaries(tag_keys, st.one_of(names, st.none(), st.integers(0, 2)), max_size=3),
    st.lists(st.fixed_dictionaries({"Key": tag_keys, "Value": names}), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    tags=tags,
    who=st.frozensets(st.sampled_from(["ana@city.gov", "e1", "bob"]), max_size=3),
    keys=st.one_of(st.just(list(DEFAULT_OWNER_TAGS)), st.lists(tag_keys, min_size=1, max_size=2)),
)
def test_the_chunks_index_claims_exactly_what_an_owner_tag_names(
    tags: Any, who: frozenset[str], keys: list[str]
) -> None:
    row = type("Row", (), {"attrs": {"tags": tags}})()
    claimed = _Unlinked([row]).claim(who, keys)
    assert bool(claimed) == Identity("p", who).owns(tags, keys)


def test_employments_written_and_read_through_the_driver_are_what_sqlalchemy_sees(store_url: str) -> None:
    """Dates and the timestamp go in as their column types store them and come back as dates."""
    hub = make_hub(store_url)
    now = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    first = Employment(1, date(2019, 5, 6), date(2026, 2, 27), None, "ended")
    second = Employment(2, date(2026, 3, 9), None, date(2026, 4, 1))
    rescinded = Employment(3, date(2026, 5, 1), state="rescinded")
    rows = [employment_row("p1", e, now) for e in (first, second, rescinded)]
    rows.append(employment_row("p2", Employment(1, None), now))
    with hub.store.engine.begin() as conn:
        insert_employments(conn, rows)
    with hub.store.engine.connect() as conn:
        stored = [
            r._asdict() for r in conn.execute(sa.select(employments).order_by("person_id", "generation"))
        ]
        current, top = employments_of(conn, ["p1", "p2", "nobody"])
    assert stored == rows
    assert current == {"p1": second, "p2": Employment(1, None)}, "the latest one not rescinded"
    assert top == {"p1": 3, "p2": 1}
    hub.close()
