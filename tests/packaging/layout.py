"""What is production code and what is not, and the static import graph between them.

Production is every module under core/, connectors/ and dags/ except the fakes and what runs
against them: each connector's `sandbox/` package, core/sandbox, core/testing, core/demo,
core/scenario and core/bench. docker/Dockerfile.dockerignore keeps the same packages out of the
image (tests/deploy/test_docker.py checks the two lists agree).
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ROOTS = ("core", "connectors", "dags")
#: package directories (globs, relative to the repository) that never ship in a production install
NON_PRODUCTION = (
    "core/sandbox",
    "core/testing",
    "core/demo",
    "core/scenario",
    "core/bench",
    "connectors/*/sandbox",
)
#: calls that import the module named by their first (string) argument
_DYNAMIC_IMPORTS = {"import_module", "__import__", "resolve_name"}


@dataclass(frozen=True)
class Import:
    file: Path
    line: int
    module: str

    def where(self, root: Path) -> str:
        return f"{self.file.relative_to(root)}:{self.line}"


def is_non_production_path(relative: str) -> bool:
    parts = Path(relative).parts
    return any(
        fnmatch.fnmatchcase("/".join(parts[:n]), pattern)
        for pattern in NON_PRODUCTION
        for n in range(1, len(parts) + 1)
    )


def is_non_production_module(module: str) -> bool:
    return is_non_production_path(module.replace(".", "/"))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def production_files(root: Path = ROOT) -> Iterator[Path]:
    for top in PRODUCTION_ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            if not is_non_production_path(str(path.relative_to(root))):
                yield path


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module `path` imports: top-level or inside functions, absolute or relative, and
    `importlib.import_module` / `pkgutil.resolve_name` calls with a literal name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(path, node.lineno, base)
            for alias in node.names:  # `from pkg import module` imports pkg.module
                yield Import(path, node.lineno, f"{base}.{alias.name}")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in _DYNAMIC_IMPORTS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield Import(path, node.lineno, first.value.partition(":")[0])


def imports_of_non_production(root: Path = ROOT) -> list[Import]:
    """Every import, in a production module, of a fake or of what runs against the fakes."""
    return [
        found
        for path in production_files(root)
        for found in imports_of(path, root)
        if is_non_production_module(found.module)
    ]
