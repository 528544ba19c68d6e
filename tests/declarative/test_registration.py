"""How a declarative source becomes a connector type: named in hub.yaml (`rest_sources:`), or
registered by an entry point naming a package that holds `source.yaml`; and a Python subclass
where the API needs code. Each then syncs through the engine like any connector."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from core.config.hub_config import load_hub_config
from core.connector.contracts import Record, RecordRejected
from core.connector.registry import connector_class
from core.declarative.connector import DeclarativeSource, file_source, package_source
from core.errors import ConfigError
from core.hub import Hub
from core.store.schema import quarantine, source_records
from core.sync.runner import sync_stream
from tests.declarative.conftest import Served, definition

REPO = Path(__file__).resolve().parents[2]

MAPPING = """\
version: 1
connector: people_api
streams:
  people:
    entity: person
    required: [employee_id]
    fields:
      employee_id: employee_number
      given_name: first_name
      family_name: last_name
      work_email: lower(email)
      status: "if(eq(status, 'inactive'), 'terminated', 'active')"
"""


def hub_yaml(directory: Path, sandbox: Any, store_url: str, *, sources: list[str]) -> Path:
    path = directory / "hub.yaml"
    document = {
        "rest_sources": sources,
        "store": {"url": store_url},
        "instances": [{"name": "hr", "type": "people_api", "config": sandbox.instance_config()}],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_a_definition_named_in_hub_yaml_syncs_with_the_mapping_beside_it(
    tmp_path: Path, serve: Callable[..., Served], store_url: str
) -> None:
    folder = tmp_path / "people_api"
    folder.mkdir()
    source = folder / "source.yaml"
    source.write_text(yaml.safe_dump(definition(), sort_keys=False), encoding="utf-8")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    served = serve(source, scale=12)
    hub = Hub(
        load_hub_config(hub_yaml(tmp_path, served.sandbox, store_url, sources=["people_api/source.yaml"]))
    )
    try:
        assert hub.connector_class("people_api") is served.cls
        (summary,) = sync_stream(hub, "hr", "people")
        assert (summary.status, summary.read, summary.counts.inserted) == ("succeeded", 12, 12)
        with hub.store.engine.connect() as conn:
            entities = conn.scalars(
                sa.select(source_records.c.entity).where(source_records.c.instance == "hr")
            ).all()
        assert entities == ["person"] * 12  # mapped by the packaged mapping.yaml
    finally:
        hub.close()


def test_a_missing_or_duplicate_definition_is_an_error_naming_hub_yaml_line(
    tmp_path: Path, write_definition: Callable[..., Path]
) -> None:
    first = write_definition(definition(), "one.yaml")
    write_definition(definition(), "two.yaml")
    path = tmp_path / "hub.yaml"
    path.write_text("rest_sources:\n  - one.yaml\n  - missing.yaml\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"hub.yaml:3: rest_sources names .*missing.yaml, which does not exist"
    ):
        Hub(load_hub_config(path)).connector_class("people_api")
    path.write_text("rest_sources:\n  - one.yaml\n  - two.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hub.yaml:3: a second definition of connector type 'people_api'"):
        Hub(load_hub_config(path)).connector_class("people_api")
    assert first.exists()


def test_an_entry_point_naming_a_package_registers_its_source_yaml() -> None:
    bamboohr = connector_class("bamboohr")
    assert issubclass(bamboohr, DeclarativeSource)
    assert bamboohr.loaded.path.resolve() == REPO / "connectors" / "bamboohr" / "source.yaml"
    assert bamboohr.package_dir() == REPO / "connectors" / "bamboohr"


def test_a_package_entry_point_without_a_definition_or_with_another_name_is_refused(tmp_path: Path) -> None:
    empty = types.ModuleType("emptypkg")
    empty.__path__ = [str(tmp_path)]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"holds no source\.yaml"):
        package_source(empty, "emptypkg")
    bamboohr = types.ModuleType("connectors.bamboohr")
    bamboohr.__path__ = [str(REPO / "connectors" / "bamboohr")]  # type: ignore[attr-defined]
    with pytest.raises(
        ConfigError, match=r"entry point 'hris' names .* whose definition is called 'bamboohr'"
    ):
        package_source(bamboohr, "hris")


class PeopleWithCode(DeclarativeSource):
    """The API needs code for two things: a computed field and a record it must refuse."""

    definition_file = Path(__file__).parent / "people_with_code.yaml"

    def transform(self, stream: str, record: Record) -> Record | RecordRejected | None:
        if record["employee_number"] == "E10003":
            return RecordRejected(
                record, "the HR team marked this employee number as reused", field="employee_number"
            )
        return {**record, "display_name": f"{record['first_name']} {record['last_name']}"}


@pytest.fixture(scope="module", autouse=True)
def people_with_code_definition() -> Any:
    path = Path(__file__).parent / "people_with_code.yaml"
    assert path.exists(), "the subclass's definition ships beside this test"
    return path


def test_a_python_subclass_transforms_and_rejects_records_and_syncs(
    serve: Callable[..., Served], tmp_path: Path, store_url: str
) -> None:
    assert (
        PeopleWithCode.type_name == "people_api" and PeopleWithCode.config_model.__name__ == "PeopleApiConfig"
    )
    served = serve(PeopleWithCode, scale=12)
    overrides = tmp_path / "mappings"
    overrides.mkdir()
    (overrides / "people_api.yaml").write_text(
        MAPPING.replace("      given_name", "      display_name: display_name\n      given_name"),
        encoding="utf-8",
    )
    path = tmp_path / "hub.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "store": {"url": store_url},
                "mappings": {"override_dirs": ["mappings"]},
                "instances": [
                    {"name": "hr", "type": "people_api", "config": served.sandbox.instance_config()}
                ],
            }
        ),
        encoding="utf-8",
    )
    hub = Hub(load_hub_config(path))
    hub._connectors["hr"] = served.connector("hr")
    try:
        (summary,) = sync_stream(hub, "hr", "people")
        assert (summary.read, summary.counts.inserted, summary.counts.quarantined) == (12, 11, 1)
        with hub.store.engine.connect() as conn:
            reasons = conn.scalars(sa.select(quarantine.c.reason)).all()
            names = conn.scalars(sa.select(source_records.c.payload)).all()
        assert reasons == ["the HR team marked this employee number as reused"]
        assert all(" " in p["display_name"] for p in names)
    finally:
        hub.close()


def test_file_source_gives_one_class_per_file_version(write_definition: Callable[..., Path]) -> None:
    path = write_definition(definition())
    assert file_source(path) is file_source(path)
