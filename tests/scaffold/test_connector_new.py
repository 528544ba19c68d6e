"""`hub connector new` writes a package that works at once: generated, installed in place and its
own tests (the contract kit against its sandbox) green, for a source and a sink."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.scaffold.writer import new_connector
from tests.scaffold.overlay import BIN, environment, overlay_venv


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.parametrize(("name", "kind"), [("payroll", "source"), ("asset_desk", "sink")])
def test_a_generated_connector_installs_and_passes_its_own_tests(
    tmp_path: Path, name: str, kind: str
) -> None:
    env = environment(overlay_venv(tmp_path / "venv"))
    for command in (
        f"hub connector new {name} --kind {kind}",
        f"uv pip install --no-deps -e {name}",
        f"hub connectors --json | grep -q '\"{name}\"'",
        f"python -m pytest -q -p no:cacheprovider {name}",
        f"{BIN}/ruff check {name} && {BIN}/ruff format --check {name}",
    ):
        done = shell(command, tmp_path, env)
        assert done.returncode == 0, f"$ {command}\n{done.stdout}{done.stderr}"
    assert " passed" in done.stdout or "already formatted" in done.stdout


def test_the_package_has_every_part_an_engineer_needs(tmp_path: Path) -> None:
    written = {
        p.relative_to(tmp_path / "payroll").as_posix() for p in new_connector("payroll", "source", tmp_path)
    }
    assert {
        "pyproject.toml",
        "README.md",
        "payroll/config.py",
        "payroll/client.py",
        "payroll/connector.py",
        "payroll/mapping.yaml",
        "payroll/sandbox/__init__.py",
        "tests/test_contract.py",
    } <= written
    readme = (tmp_path / "payroll" / "README.md").read_text(encoding="utf-8")
    assert "## Least privilege" in readme and "To fill in" in readme
    assert "{{" not in "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "payroll").rglob("*.*"))


@pytest.mark.parametrize("name", ["Payroll", "2fa", "my-system", "class", "x"])
def test_a_name_that_cannot_be_a_package_is_refused_with_the_rule(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="lower-case letters"):
        new_connector(name, "source", tmp_path)


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "payroll").mkdir()
    (tmp_path / "payroll" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        new_connector("payroll", "source", tmp_path)
    assert (tmp_path / "payroll" / "notes.txt").read_text(encoding="utf-8") == "mine"
