"""`hub sandbox serve --only NAME`: one sandbox, even one outside the demo organisation; a name
that is not registered is a failure naming what is."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.sandbox.fleet import SandboxFleet

REPO = Path(__file__).resolve().parents[2]


def test_only_starts_the_named_sandboxes_including_ones_outside_the_demo(tmp_path: Path) -> None:
    with SandboxFleet(tmp_path / "sandbox", scale=10, only=["example", "bamboohr"]) as fleet:
        assert sorted(fleet.sandboxes) == ["bamboohr", "example"] and fleet.failed == {}
        document = fleet.hub_config(store_url="sqlite:///hub.db")
    assert [i["type"] for i in document["instances"]] == ["bamboohr", "example"]
    assert "rest_sources" not in document


def test_an_unknown_name_fails_naming_the_registered_ones(tmp_path: Path) -> None:
    with SandboxFleet(tmp_path / "sandbox", scale=10, only=["workdya"]) as fleet:
        assert fleet.sandboxes == {}
        assert "no sandbox is registered as 'workdya'" in fleet.failed["workdya"]
        assert "workday" in fleet.failed["workdya"]


def test_a_definition_file_is_served_and_written_into_hub_yaml(tmp_path: Path) -> None:
    source = tmp_path / "hris" / "source.yaml"
    source.parent.mkdir()
    text = (REPO / "connectors" / "bamboohr" / "source.yaml").read_text(encoding="utf-8")
    source.write_text(text.replace("name: bamboohr", "name: hris"), encoding="utf-8")
    with SandboxFleet(tmp_path / "sandbox", scale=10, only=["hris"], sources=[source]) as fleet:
        assert list(fleet.sandboxes) == ["hris"]
        written = fleet.write_hub_yaml(tmp_path / "hub.yaml", store_url="sqlite:///hub.db")
    document = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert document["rest_sources"] == ["hris/source.yaml"]
    assert document["instances"][0]["type"] == "hris"
