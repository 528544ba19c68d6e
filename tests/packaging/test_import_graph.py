"""Production code never imports a fake: the static import graph of every production module
(core/, connectors/, dags/ minus the sandbox packages and what runs against them), read with
`ast`, so a lazy import inside a function counts as much as one at the top of a file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.packaging.layout import (
    ROOT,
    Import,
    imports_of,
    imports_of_non_production,
    is_non_production_module,
    module_name,
    production_files,
)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENTRY_POINTS = PYPROJECT["project"]["entry-points"]
#: production modules nothing imports, and why they are production all the same
UNREFERENCED = {
    "connectors.aws.policies": "the least-privilege IAM policies the README prints (a test keeps them "
    "verbatim) and the sandbox enforces",
}


def report(found: list[Import], root: Path = ROOT) -> str:
    """One line per importing statement: file:line and the module it reaches."""
    lines: dict[str, str] = {}
    for imp in found:
        lines.setdefault(imp.where(root), imp.module)
    return "\n".join(f"{where}: imports {module}" for where, module in lines.items())


def test_no_production_module_imports_a_fake_or_the_harness_around_them() -> None:
    found = imports_of_non_production()
    assert not found, "production code imports non-production modules:\n" + report(found)


@pytest.mark.parametrize(
    ("source", "line", "reached"),
    [
        ("from connectors.workday.sandbox import WorkdaySandbox\n", 2, "connectors.workday.sandbox"),
        ("def later():\n    from core.sandbox.fleet import SandboxFleet\n", 3, "core.sandbox.fleet"),
        ("from core import scenario\n", 2, "core.scenario"),
        ("from ..sandbox.tenant import Tenant\n", 2, "connectors.acme.sandbox.tenant"),
        ("from .. import sandbox\n", 2, "connectors.acme.sandbox"),
        ("import core.testing.reading as reading\n", 2, "core.testing.reading"),
        ("import importlib\n\nimportlib.import_module('core.demo.story')\n", 4, "core.demo.story"),
        (
            "import pkgutil\npkgutil.resolve_name('connectors.acme.sandbox:Fake')\n",
            3,
            "connectors.acme.sandbox",
        ),
    ],
)
def test_every_way_of_importing_is_seen_and_named_by_file_and_line(
    tmp_path: Path, source: str, line: int, reached: str
) -> None:
    """A production module written in each of these ways fails the check above, naming itself."""
    package = tmp_path / "connectors" / "acme" / "streams"
    package.mkdir(parents=True)
    for folder in (tmp_path / "connectors", tmp_path / "connectors" / "acme", package):
        (folder / "__init__.py").write_text("")
    (package / "users.py").write_text('"""A stream."""\n' + source)
    found = imports_of_non_production(tmp_path)
    assert f"connectors/acme/streams/users.py:{line}: imports {reached}" in report(found, tmp_path)


def test_the_fakes_themselves_may_import_each_other_and_production_code(tmp_path: Path) -> None:
    fake = tmp_path / "connectors" / "acme" / "sandbox"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "from core.sandbox.base import Sandbox\nfrom connectors.acme.client import C\n"
    )
    assert imports_of_non_production(tmp_path) == []


def test_every_connector_declares_its_fake_inside_a_sandbox_package() -> None:
    from core.connector.registry import discover

    declared = {e.name: e.cls.sandbox for e in discover() if e.cls is not None and e.cls.sandbox}
    assert declared, "no connector declares a sandbox"
    misplaced = {
        name: target
        for name, target in declared.items()
        if not target.partition(":")[0].endswith(".sandbox")
        or not is_non_production_module(target.partition(":")[0])
    }
    assert not misplaced, f"fakes must live in connectors/<name>/sandbox/: {misplaced}"


def test_no_fake_is_left_beside_the_production_code_of_a_connector() -> None:
    stray = [
        str(path.relative_to(ROOT))
        for path in production_files()
        if path.stem.startswith(("sandbox", "tenant", "fake"))
    ]
    assert not stray, f"move these into the connector's sandbox/ package: {stray}"


def test_production_entry_points_reach_production_code_and_the_sandbox_ones_do_not() -> None:
    for group in ("itsm_hub.connectors", "apache_airflow_provider", "airflow.plugins"):
        for name, target in ENTRY_POINTS[group].items():
            assert not is_non_production_module(target.partition(":")[0]), f"{group} {name} -> {target}"
    for group in ("itsm_hub.cli", "sqlalchemy.plugins"):
        for name, target in ENTRY_POINTS[group].items():
            assert is_non_production_module(target.partition(":")[0]), f"{group} {name} -> {target}"


def test_every_production_module_is_reached_from_an_entry_point_of_the_product() -> None:
    """An unreferenced module under a connector is how an unmarked fake hid before (the Workday
    worker directory): each production module is reached from the console script, a production
    entry point, a DAG file, Alembic's migrations or a dotted name in production code."""
    modules = {module_name(path, ROOT): path for path in production_files()}
    roots = {target.partition(":")[0] for target in PYPROJECT["project"]["scripts"].values()}
    for group in ("itsm_hub.connectors", "apache_airflow_provider", "airflow.plugins"):
        roots |= {target.partition(":")[0] for target in ENTRY_POINTS[group].values()}
    roots |= {m for m in modules if m.startswith(("dags.", "core.store.migrations."))}
    reached: set[str] = set()
    todo = [m for m in roots if m in modules]
    while todo:
        current = todo.pop()
        if current in reached:
            continue
        reached.add(current)
        parts = current.split(".")
        todo += [".".join(parts[:n]) for n in range(1, len(parts)) if ".".join(parts[:n]) in modules]
        todo += [imp.module for imp in imports_of(modules[current], ROOT) if imp.module in modules]
        todo += [name for name in dotted_names(modules[current]) if name in modules]
    unreached = sorted(set(modules) - reached - set(UNREFERENCED))
    assert not unreached, (
        f"production modules nothing in the product reaches (fakes? dead code?): {unreached}"
    )
    assert not set(UNREFERENCED) & reached, "an UNREFERENCED entry is referenced now: drop it from the list"


def dotted_names(path: Path) -> set[str]:
    """Module names spelled in string constants (`"core.airflow.hooks.HubConnectionHook"`)."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("core."):
            text = node.value.partition(":")[0]
            names |= {text, text.rsplit(".", 1)[0]}
    return names
