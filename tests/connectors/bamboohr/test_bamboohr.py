"""The BambooHR source: one YAML file and a mapping, no Python, synced end to end against the
generic fixture sandbox (directory, then `employees/changed?since=` with one read per changed id)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config.hub_config import HubConfig
from core.connector.registry import connector_class
from core.hub import Hub
from core.resolve.engine import resolve
from core.sandbox.ca import SandboxCA
from core.sandbox.fleet import SandboxFleet
from core.store.engine import open_store
from core.store.schema import persons, quarantine
from core.sync.runner import sync_stream

PACKAGE = Path(__file__).resolve().parents[3] / "connectors" / "bamboohr"
SCALE = 50  # one termination and one deletion stay under the 5 % mass-change guard


def test_the_source_is_one_yaml_under_100_lines_and_a_mapping_and_no_python() -> None:
    files = sorted(p.name for p in PACKAGE.iterdir() if p.is_file())
    assert files == ["README.md", "__init__.py", "mapping.yaml", "source.yaml"]
    assert len((PACKAGE / "source.yaml").read_text(encoding="utf-8").splitlines()) < 100
    (only,) = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8")).body  # a docstring, no code
    assert isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant)
    assert connector_class("bamboohr").__module__ == "core.declarative.connector"


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[tuple[Hub, SandboxFleet]]:
    fleet = SandboxFleet(tmp_path / "sandbox", scale=SCALE, only=["bamboohr"]).start()
    assert list(fleet.sandboxes) == ["bamboohr"], fleet.failed
    document = fleet.hub_config(store_url=store_url)
    hub = Hub(HubConfig.model_validate(document), open_store(store_url))
    yield hub, fleet
    hub.close()
    fleet.stop()


def people(hub: Hub) -> dict[str, dict[str, object]]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(sa.select(persons.c.employee_id, persons.c.attrs)).all()
    return {r.employee_id: r.attrs for r in rows}


def test_employees_sync_end_to_end_with_hires_changes_terminations_and_deletions(
    hub: tuple[Hub, SandboxFleet], sandbox_ca: SandboxCA
) -> None:
    engine, fleet = hub
    sandbox = fleet.sandboxes["bamboohr"]
    (first,) = sync_stream(engine, "bamboohr", "employees")
    assert (first.status, first.read, first.counts.inserted, first.counts.quarantined) == (
        "succeeded",
        SCALE,
        SCALE,
        0,
    )
    resolve(engine)
    assert len(people(engine)) == SCALE

    sandbox.admin(
        "hire",
        {
            "employee_id": "E9001",
            "given_name": "Ana",
            "family_name": "Ruiz",
            "org": "FIN",
            "title": "Accountant",
        },
    )
    sandbox.admin("update", {"employee_id": "E10004", "title": "Deputy City Manager"})
    sandbox.admin("terminate", {"employee_id": "E10006", "termination_date": "2020-01-31"})
    sandbox.admin("delete", {"employee_id": "E10009"})
    (second,) = sync_stream(engine, "bamboohr", "employees")
    assert second.status == "succeeded"
    assert (second.counts.inserted, second.counts.updated, second.counts.deleted) == (1, 2, 1)
    resolve(engine)
    found = people(engine)
    assert found["E9001"]["status"] == "active" and found["E10004"]["title"] == "Deputy City Manager"
    assert found["E10006"]["status"] == "terminated" and found["E10006"]["termination_date"] == "2020-01-31"

    (third,) = sync_stream(engine, "bamboohr", "employees")
    assert third.counts.inserted == third.counts.updated == 0  # nothing changed since


def test_a_record_the_mapping_refuses_is_quarantined_and_the_sync_goes_on(
    hub: tuple[Hub, SandboxFleet],
) -> None:
    engine, fleet = hub
    sandbox = fleet.sandboxes["bamboohr"]
    sandbox.admin("update", {"employee_id": "E10003", "family_name": "  "})  # a blank required name
    sandbox.admin("update", {"employee_id": "E10005", "hire_date": None})  # BambooHR's 0000-00-00
    (summary,) = sync_stream(engine, "bamboohr", "employees")
    assert (summary.status, summary.counts.quarantined, summary.counts.inserted) == (
        "succeeded",
        1,
        SCALE - 1,
    )
    with engine.store.engine.connect() as conn:
        (entry,) = conn.execute(
            sa.select(quarantine.c.record_key, quarantine.c.field, quarantine.c.reason)
        ).all()
    assert (entry.record_key, entry.field) == ("2", "family_name"), entry
