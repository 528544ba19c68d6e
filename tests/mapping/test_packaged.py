"""Mappings and playbooks a connector package ships beside itself are found through its entry
point (or its definition's folder); the repository's mappings/ and hub.yaml's overrides still win."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import core.hub
from core.config.hub_config import HubConfig, load_hub_config
from core.errors import ConfigError
from core.hub import Hub
from core.lifecycle.playbooks import load_playbooks

REPO = Path(__file__).resolve().parents[2]
PACKAGED = REPO / "connectors" / "bamboohr" / "mapping.yaml"


def hub_with(tmp_path: Path, instances: list[dict[str, str]], **config: object) -> Hub:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({"instances": instances, **config}), encoding="utf-8")
    return Hub(load_hub_config(path))


def field_text(hub: Hub, connector: str, stream: str, name: str) -> str:
    mapping = hub.mappings.for_stream(connector, stream)
    assert mapping is not None
    return next(plan.expression for plan in mapping.fields if plan.name == name)


@pytest.fixture
def empty_repo_mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shipped = tmp_path / "repo-mappings"
    shipped.mkdir()
    monkeypatch.setattr(core.hub, "SHIPPED_MAPPINGS", shipped)
    return shipped


def test_a_packaged_mapping_is_found_for_a_type_the_hub_runs(
    tmp_path: Path, empty_repo_mappings: Path
) -> None:
    hub = hub_with(tmp_path, [{"name": "hr", "type": "bamboohr"}])
    mapping = hub.mappings.for_stream("bamboohr", "employees")
    assert mapping is not None and mapping.entity == "person"
    assert "connectors/bamboohr/mapping.yaml:" in mapping.where


def test_the_repository_mappings_change_it_field_by_field_and_hub_yaml_overrides_win(
    tmp_path: Path, empty_repo_mappings: Path
) -> None:
    (empty_repo_mappings / "bamboohr.yaml").write_text(
        "version: 1\nconnector: bamboohr\nstreams:\n  employees:\n    fields:\n      title: upper(jobTitle)\n"
        "      location: department\n",
        encoding="utf-8",
    )
    overrides = tmp_path / "agency"
    overrides.mkdir()
    (overrides / "bamboohr.yaml").write_text(
        "version: 1\nconnector: bamboohr\nstreams:\n  employees:\n    fields:\n      location: ~\n",
        encoding="utf-8",
    )
    hub = hub_with(tmp_path, [{"name": "hr", "type": "bamboohr"}], mappings={"override_dirs": ["agency"]})
    assert field_text(hub, "bamboohr", "employees", "title") == "upper(jobTitle)"  # repo over package
    assert field_text(hub, "bamboohr", "employees", "employee_id") == "trim(employeeNumber)"  # package kept
    mapping = hub.mappings.for_stream("bamboohr", "employees")
    assert mapping is not None and "location" not in {p.name for p in mapping.fields}  # override removed it


def test_packaged_mappings_of_types_the_hub_does_not_run_are_not_read(
    tmp_path: Path, empty_repo_mappings: Path
) -> None:
    hub = hub_with(tmp_path, [{"name": "hr", "type": "workday"}])
    assert "bamboohr" not in hub.mappings.connectors()
    assert "bamboohr" in hub.load_mappings(also=("bamboohr",)).connectors()  # `hub mapping preview bamboohr`


def test_a_packaged_file_mapping_another_connector_is_an_error(
    tmp_path: Path, empty_repo_mappings: Path
) -> None:
    folder = tmp_path / "hris"
    folder.mkdir()
    source = (REPO / "connectors" / "bamboohr" / "source.yaml").read_text(encoding="utf-8")
    (folder / "source.yaml").write_text(source.replace("name: bamboohr", "name: hris"), encoding="utf-8")
    (folder / "mapping.yaml").write_text(PACKAGED.read_text(encoding="utf-8"), encoding="utf-8")
    hub = hub_with(tmp_path, [{"name": "hr", "type": "hris"}], rest_sources=["hris/source.yaml"])
    with pytest.raises(
        ConfigError, match=r"hris/mapping.yaml:\d+: this file ships with connector 'hris' but maps 'bamboohr'"
    ):
        hub.load_mappings()


def test_packaged_playbooks_sit_below_the_repository_and_the_deployment(tmp_path: Path) -> None:
    def book(directory: Path, title: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "joiner.yaml").write_text(
            f"event: joiner\nticket_type: onboarding\ntitle: {title}\n", encoding="utf-8"
        )
        return directory

    package, repo, agency = book(tmp_path / "pkg", "from the package"), tmp_path / "repo", tmp_path / "agency"
    repo.mkdir()
    agency.mkdir()
    assert load_playbooks(repo, [agency], [package])["joiner"].title == "from the package"
    book(repo, "from the repository")
    assert load_playbooks(repo, [agency], [package])["joiner"].title == "from the repository"
    book(agency, "from hub.yaml")
    assert load_playbooks(repo, [agency], [package])["joiner"].title == "from hub.yaml"


def test_the_hub_finds_playbooks_beside_a_definition(tmp_path: Path) -> None:
    folder = tmp_path / "hris"
    (folder / "playbooks").mkdir(parents=True)
    source = (REPO / "connectors" / "bamboohr" / "source.yaml").read_text(encoding="utf-8")
    (folder / "source.yaml").write_text(source.replace("name: bamboohr", "name: hris"), encoding="utf-8")
    hub = Hub(
        HubConfig.model_validate(
            {"rest_sources": [str(folder / "source.yaml")], "instances": [{"name": "hr", "type": "hris"}]}
        )
    )
    assert hub.packaged_playbooks() == [folder.resolve() / "playbooks"]
