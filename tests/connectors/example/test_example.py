"""The example connector (the Python template) against its sandbox: pages, the `updated_since`
cursor, a person listed twice quarantined rather than dropped, the token reused across pages, and
its packaged mapping synced into the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.example.config import ExampleConfig
from connectors.example.connector import ExampleConnector
from connectors.example.sandbox import ExampleSandbox
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import ExpireTokens
from core.store.engine import open_store
from core.store.schema import quarantine, source_records
from core.sync.runner import sync_stream
from core.testing.reading import read

SCALE = 45  # pages of 20: 20, 20, 5


@pytest.fixture
def sandbox(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[ExampleSandbox]:
    with ExampleSandbox(seed=7, scale=SCALE, ca=sandbox_ca, workdir=tmp_path / "example") as running:
        yield running  # type: ignore[misc]


@pytest.fixture
def connector(sandbox: ExampleSandbox) -> Iterator[ExampleConnector]:
    made = ExampleConnector(ExampleConfig.model_validate(sandbox.instance_config()), instance="directory")
    yield made
    made.close()


def test_people_come_from_the_shared_roster_in_pages_with_a_checkpoint_each(
    connector: ExampleConnector,
) -> None:
    done = read(connector.stream("people"))
    assert [r["employee_number"] for r in done.records[:2]] == ["E10001", "E10002"]
    assert len(done.records) == SCALE and len(done.checkpoints) == 3
    assert done.state == {"cursor": max(r["updated_at"] for r in done.records)}


def test_the_cursor_reads_only_people_changed_since(
    sandbox: ExampleSandbox, connector: ExampleConnector
) -> None:
    stream = connector.stream("people")
    first = read(stream)
    sandbox.admin("terminate", {"employee_number": "E10007"})
    sandbox.admin("hire", {"employee_number": "E9001", "first_name": "Ana", "last_name": "Ruiz"})
    second = read(stream, first.state)
    assert [(r["employee_number"], r["status"]) for r in second.records] == [
        ("E10007", "terminated"),
        ("E9001", "active"),
    ]
    assert read(stream, second.state).records == []


def test_a_person_listed_twice_is_quarantined_not_dropped(
    sandbox: ExampleSandbox, connector: ExampleConnector
) -> None:
    key = sandbox.kit_duplicate("people")
    done = read(connector.stream("people"))
    assert [r["id"] for r in done.records].count(key) == 1
    assert [(r.key, r.reason) for r in done.rejected] == [(key, "listed twice in one read")]


def test_the_token_is_reused_across_pages_and_refreshed_once_when_it_expires(
    sandbox: ExampleSandbox, connector: ExampleConnector
) -> None:
    read(connector.stream("people"))
    assert connector.client.auth.tokens_issued == 1
    sandbox.arm(ExpireTokens(path="/api/people"))
    assert len(read(connector.stream("people")).records) == SCALE
    assert connector.client.auth.tokens_issued == 2


def test_the_packaged_mapping_maps_people_and_quarantines_a_bad_one(
    sandbox: ExampleSandbox, store_url: str
) -> None:
    document = {"instances": [{"name": "directory", "type": "example", "config": sandbox.instance_config()}]}
    hub = Hub(HubConfig.model_validate(document), open_store(store_url))
    sandbox.admin(
        "hire", {"employee_number": "E9002", "first_name": "Bo", "last_name": "Ito", "hire_date": "someday"}
    )
    try:
        (summary,) = sync_stream(hub, "directory", "people")
        assert (summary.read, summary.counts.inserted, summary.counts.quarantined) == (SCALE + 1, SCALE, 1)
        with hub.store.engine.connect() as conn:
            fields = conn.execute(
                sa.select(source_records.c.fragment).where(source_records.c.record_key == "p000000")
            ).scalar_one()
            (bad,) = conn.execute(sa.select(quarantine.c.field, quarantine.c.reason)).all()
        assert fields["employee_id"] == "E10001" and fields["status"] == "active"
        assert bad.field == "hire_date" and "someday" in bad.reason
    finally:
        hub.close()
