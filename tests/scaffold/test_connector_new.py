"""`hub connector new` writes a package that works at once: generated, installed in place and its
own tests (the sink kit against its sandbox) green. The source kind goes the same way in
`tests/docs/test_adding_a_connector.py`, which follows the guide's walkthrough of it to a sync."""

from __future__ import annotations

import os
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


def test_a_generated_sink_installs_and_passes_its_own_tests(tmp_path: Path) -> None:
    env = environment(overlay_venv(tmp_path / "venv"))
    for command in (
        "hub connector new asset_desk --kind sink",
        "uv pip install --no-deps -e asset_desk",
        "hub connectors --json | grep -q '\"asset_desk\"'",
        "python -m pytest -q -p no:cacheprovider asset_desk",
    ):
        done = shell(command, tmp_path, env)
        assert done.returncode == 0, f"$ {command}\n{done.stdout}{done.stderr}"
    assert " passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.parametrize("kind", ["source", "sink"])
def test_the_generated_code_is_lint_clean_under_its_own_settings(tmp_path: Path, kind: str) -> None:
    """The longest name makes the longest lines: the package's own ruff settings (written with it) hold anyway."""
    new_connector("municipal_court_records_office", kind, tmp_path)  # type: ignore[arg-type]
    for command in (f"{BIN}/ruff check .", f"{BIN}/ruff format --check ."):
        done = shell(command, tmp_path / "municipal_court_records_office", dict(os.environ))
        assert done.returncode == 0, f"$ {command}\n{done.stdout}{done.stderr}"


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


@pytest.mark.parametrize("name", ["Payroll", "2fa", "my-system", "class", "x", "a" * 31])
def test_a_name_that_cannot_be_a_package_is_refused_with_the_rule(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="lower-case letters"):
        new_connector(name, "source", tmp_path)


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "payroll").mkdir()
    (tmp_path / "payroll" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        new_connector("payroll", "source", tmp_path)
    assert (tmp_path / "payroll" / "notes.txt").read_text(encoding="utf-8") == "mine"
