"""Two locks, two installs: requirements.lock is what production installs (runtime + munis-sql),
requirements-dev.lock is everything (sandbox, munis-sql, dev). Both are hashed, requirements
style, name no package index, and pin the same version of every package they share."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME, DEV = ROOT / "requirements.lock", ROOT / "requirements-dev.lock"
COMMANDS = {
    RUNTIME: "uv pip compile pyproject.toml --extra munis-sql --generate-hashes --python-version 3.11 -o requirements.lock",
    DEV: "uv pip compile pyproject.toml --all-extras --generate-hashes --python-version 3.11 -c requirements.lock -o requirements-dev.lock",
}
#: test, lint and sandbox tools that must never reach a production install
NOT_IN_PRODUCTION = (
    "pytest", "pytest-timeout", "hypothesis", "ruff", "mypy", "moto", "trustme", "flask", "werkzeug",
    "boto3-stubs", "types-requests", "types-pyyaml", "types-paramiko",
)  # fmt: skip


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", lock.read_text(), re.M)
    return {canonicalize_name(name): version for name, version in found}


def requirements(*extras: str) -> list[Requirement]:
    listed = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in extras:
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == canonicalize_name(PROJECT["name"]):
                listed += requirements(*requirement.extras)  # `dev` pulls in sandbox and munis-sql
            else:
                listed.append(requirement)
    return listed


@pytest.mark.parametrize("lock", [RUNTIME, DEV], ids=lambda p: p.name)
def test_each_lock_is_the_hashed_output_of_its_make_lock_command(lock: Path) -> None:
    text = lock.read_text()
    assert COMMANDS[lock] in text.splitlines()[1]
    assert "://" not in text, "a lock names a package index; locks carry names, versions and hashes only"
    assert not re.search(r"^\s*--(index-url|extra-index-url|find-links|trusted-host)", text, re.M)
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    assert not (ROOT / "uv.lock").exists()


def test_the_runtime_lock_carries_no_test_lint_or_sandbox_tool() -> None:
    runtime = pins(RUNTIME)
    assert not [name for name in NOT_IN_PRODUCTION if name in runtime]
    assert {"apache-airflow", "pyodbc", "boto3", "msal"} <= set(runtime)


@pytest.mark.parametrize(
    ("lock", "extras"),
    [(RUNTIME, ("munis-sql",)), (DEV, ("sandbox", "munis-sql", "dev"))],
    ids=["runtime", "dev"],
)
def test_every_declared_requirement_is_pinned_within_its_range(lock: Path, extras: tuple[str, ...]) -> None:
    pinned = pins(lock)
    for requirement in requirements(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in {lock.name}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock.name} pins {name}=={pinned[name]}, outside {requirement}: run make lock"
        )


def test_the_dev_lock_is_the_runtime_lock_plus_the_extras_at_the_same_versions() -> None:
    runtime, dev = pins(RUNTIME), pins(DEV)
    assert set(runtime) <= set(dev)
    assert {name: (v, dev[name]) for name, v in runtime.items() if dev[name] != v} == {}
    assert {"pytest", "moto", "trustme", "flask"} <= set(dev)


def test_dev_pulls_in_the_sandbox_extra() -> None:
    names = {canonicalize_name(r.name) for r in requirements("dev")}
    assert {"moto", "trustme", "pytest"} <= names
