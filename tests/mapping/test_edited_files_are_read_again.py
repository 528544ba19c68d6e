"""A process keeps what it parsed (every `Hub` reads the same mappings and playbooks again), yet a
file edited while it runs is read as it is now, and no caller can change what another one gets."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.config.yaml_lines import load_yaml_with_lines
from core.lifecycle.playbooks import load_playbooks
from core.mapping import load_mappings

SHIPPED = Path(__file__).parent / "fixtures" / "shipped"
PLAYBOOKS = Path(__file__).resolve().parents[2] / "mappings" / "playbooks"


def test_an_edited_mapping_file_is_compiled_again_even_with_the_same_size(tmp_path: Path) -> None:
    override = tmp_path / "override"
    override.mkdir()
    path = override / "workday.yaml"
    path.write_text("connector: workday\nstreams:\n  workers:\n    fields:\n      title: \"'AAAA'\"\n")
    first = load_mappings(SHIPPED, [override]).for_stream("workday", "workers")
    assert first is not None
    assert next(f for f in first.fields if f.name == "title").expression == "'AAAA'"
    path.write_text("connector: workday\nstreams:\n  workers:\n    fields:\n      title: \"'BBBB'\"\n")
    again = load_mappings(SHIPPED, [override]).for_stream("workday", "workers")
    assert again is not None
    assert next(f for f in again.fields if f.name == "title").expression == "'BBBB'"


def test_parsed_yaml_is_each_callers_own() -> None:
    text = "instances:\n  - name: hr\n    config: {page_size: 100}\n"
    data, lines = load_yaml_with_lines(text, "hub.yaml")
    data["instances"][0]["config"]["page_size"] = 5
    lines.clear()
    again, lines_again = load_yaml_with_lines(text, "hub.yaml")
    assert again["instances"][0]["config"]["page_size"] == 100
    assert lines_again[("instances", 0, "config", "page_size")] == 3


def test_an_edited_playbook_is_read_again_and_a_changed_copy_stays_with_its_caller(tmp_path: Path) -> None:
    override = tmp_path / "playbooks"
    override.mkdir()
    shutil.copy(PLAYBOOKS / "leaver.yaml", override / "leaver.yaml")
    first = load_playbooks(PLAYBOOKS, [override])["leaver"]
    first.tasks.clear()
    assert load_playbooks(PLAYBOOKS, [override])["leaver"].tasks, "a caller's change leaks to the next"
    assert first.priority == "normal"
    edited = (override / "leaver.yaml").read_text().replace("priority: normal", "priority: low   ")
    (override / "leaver.yaml").write_text(edited)  # the same size, very likely the same mtime
    assert load_playbooks(PLAYBOOKS, [override])["leaver"].priority == "low"
