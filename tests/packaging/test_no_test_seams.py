"""No test seam in production paths: a production process reads no environment variable that
fakes time or redirects a connector, and time moves only when sandbox code installs a fake clock.

The inventory below is every environment variable production code reads; a new one fails this
test until it is added here with the reason an operator would set it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core import clock
from core.sandbox import fake_clock
from tests.packaging.layout import ROOT, production_files

DYNAMIC = "<name from hub.yaml>"
#: (file, variable) -> why production honours it
PRODUCTION_ENVIRONMENT = {
    ("core/airflow/runtime.py", "HUB_CONFIG"): "which hub.yaml the DAG file builds from",
    ("core/cli/app.py", "HUB_CONFIG"): "which hub.yaml `hub --config` defaults to",
    ("core/cli/app.py", "COLUMNS"): "a readable table width when run as `python -m core.cli.app`",
    ("core/config/hub_config.py", "HUB_STORE_URL"): "the store URL, so its password stays out of hub.yaml",
    ("core/secrets.py", DYNAMIC): "`{env: NAME}` secrets: the variable hub.yaml names",
    ("core/store/locks.py", "AIRFLOW_CTX_DAG_RUN_ID"): "the Airflow run a task works for (Airflow exports "
    "it), named to a runner waiting for a stage lock",
}


def environment_reads(path: Path) -> set[str]:
    """Variables a module reads: os.environ[...] / .get / .setdefault / `in`, os.getenv, envvar=."""
    found: set[str] = set()

    def name_of(node: ast.expr | None) -> str:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else DYNAMIC

    def is_environ(node: ast.expr) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id == "environ"
        )

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            found.add(name_of(node.slice))
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            found.add(name_of(node.left))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            reads_mapping = isinstance(func, ast.Attribute) and is_environ(func.value)
            if called == "getenv" or (reads_mapping and called in ("get", "setdefault", "pop")):
                found.add(name_of(node.args[0] if node.args else None))
            found |= {name_of(k.value) for k in node.keywords if k.arg == "envvar"}
    return found


def test_production_reads_only_the_documented_environment_variables() -> None:
    actual = {
        (str(path.relative_to(ROOT)), name) for path in production_files() for name in environment_reads(path)
    }
    assert actual == set(PRODUCTION_ENVIRONMENT), (
        f"undocumented: {sorted(actual - set(PRODUCTION_ENVIRONMENT))}; "
        f"gone: {sorted(set(PRODUCTION_ENVIRONMENT) - actual)}"
    )


def test_the_inventory_sees_every_way_of_reading_the_environment(tmp_path: Path) -> None:
    module = tmp_path / "seams.py"
    module.write_text(
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ.get('A')\nb = os.environ['B']\nc = getenv('C')\nd = 'D' in environ\n"
        "e = os.environ.setdefault('E', '1')\nf = option(envvar='F')\ng = os.environ.get(name)\n"
    )
    assert environment_reads(module) == {"A", "B", "C", "D", "E", "F", DYNAMIC}


def test_a_production_process_ignores_a_fake_time_in_its_environment() -> None:
    """HUB_FAKE_NOW pinned the clock of every process that inherited it; nothing reads it now."""
    done = subprocess.run(
        [sys.executable, "-c", "from core import clock; print(clock.now().isoformat())"],
        cwd=ROOT,
        env={**os.environ, "HUB_FAKE_NOW": "2001-02-03T04:05:06+00:00"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert abs(datetime.fromisoformat(done.stdout.strip()) - datetime.now(UTC)) < timedelta(minutes=5)


@pytest.fixture
def pinned() -> object:
    yield
    fake_clock.set_now(None)


@pytest.mark.usefixtures("pinned")
def test_the_sandbox_fake_clock_moves_the_hub_clock_and_hands_it_back() -> None:
    fake_clock.set_now(datetime(2026, 3, 2, 15, 0))  # naive means UTC
    assert (
        clock.now() == datetime(2026, 3, 2, 15, 0, tzinfo=UTC) and clock.today().isoformat() == "2026-03-02"
    )
    assert fake_clock.advance(timedelta(days=1, minutes=1)) == datetime(2026, 3, 3, 15, 1, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 3, 15, 1, tzinfo=UTC)
    fake_clock.set_now(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=5)
    moved = fake_clock.advance(timedelta(days=30))  # from the system clock: pins first
    assert moved - datetime.now(UTC) > timedelta(days=29) and clock.now() == moved
