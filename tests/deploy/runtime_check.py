"""`make check-runtime`: the production install, built as the Docker image builds it, must work.

A fresh virtualenv gets requirements.lock alone (hashes required), then the project without
dependencies, editable, from a copy of the tree holding only what docker/Dockerfile.dockerignore
lets into the image. In it:
- every production module imports, and so does the DAG file (on the deployment's hub.yaml);
- every connector entry point loads; `hub connectors` lists them all without an import error;
- the store's migrations run;
- pytest, moto, trustme, flask (and the other test and sandbox tools) cannot be imported, nor can
  any sandbox package; `hub sandbox` says what to install instead of raising;
- pyodbc (the munis-sql extra) is installed; whether it can be imported depends on the host
  having unixODBC's libodbc.so.2, which the image installs with the ODBC driver.

Run it with the development interpreter (its uv builds the virtualenv); it runs its checks by
calling itself with `--inside` in the new virtualenv.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERIGNORE = ROOT / "docker" / "Dockerfile.dockerignore"
DEPLOYMENT_CONFIG = ROOT / "docker" / "config" / "hub.yaml"
WORKDIR = ROOT / ".hub" / "check-runtime"
#: importable in a development install, never in production
ABSENT = ("pytest", "hypothesis", "moto", "trustme", "flask", "werkzeug", "mypy", "ruff")


# -- the build context, as Docker selects it ----------------------------------------------------
def ignore_rules(path: Path = DOCKERIGNORE) -> list[tuple[bool, str]]:
    """(re-include?, pattern) in file order; the last matching rule decides, as in Docker."""
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.removeprefix("!").strip("/")))
    return rules


def _matches(pattern: str, relative: str) -> bool:
    """A pattern matches a path or any of its parent directories (Docker's semantics)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    if pattern == "**":
        return True
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)


def excluded_packages(rules: list[tuple[bool, str]], source: Path) -> list[str]:
    """The packages the rules cut out of re-included folders (core/sandbox, connectors/*/sandbox
    ...), as module names, `*` expanded against the folders of `source`."""
    names = []
    for reinclude, pattern in rules:
        if reinclude or pattern.startswith("**"):
            continue
        head, _, tail = pattern.partition("/*/")
        parents = [p for p in sorted((source / head).iterdir()) if p.is_dir()] if tail else [source / pattern]
        for parent in parents:
            folder = parent / tail if tail else parent
            names.append(".".join(folder.relative_to(source).parts))
    return names


def in_context(relative: str, rules: list[tuple[bool, str]]) -> bool:
    included = True
    for reinclude, pattern in rules:
        if _matches(pattern, relative):
            included = reinclude
    return included


def copy_context(source: Path, target: Path, rules: list[tuple[bool, str]]) -> int:
    """Copy the files Docker would send as build context; returns how many."""
    reincluded_roots = {pattern.split("/")[0] for reinclude, pattern in rules if reinclude}
    copied = 0
    for folder, dirs, files in os.walk(source):
        relative_folder = Path(folder).relative_to(source).as_posix()
        if relative_folder == ".":
            dirs[:] = [d for d in dirs if d in reincluded_roots]
        for name in files:
            relative = name if relative_folder == "." else f"{relative_folder}/{name}"
            if in_context(relative, rules):
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, destination)
                copied += 1
    return copied


# -- outside: build the virtualenv, then check it ------------------------------------------------
def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, text=True, **kwargs)  # type: ignore[call-overload]


def build(workdir: Path) -> tuple[Path, Path, dict[str, float]]:
    uv = Path(sys.executable).parent / "uv"
    shutil.rmtree(workdir, ignore_errors=True)
    source, venv = workdir / "src", workdir / "venv"
    timings: dict[str, float] = {}
    started = time.monotonic()
    files = copy_context(ROOT, source, ignore_rules())
    print(f"build context: {files} files (docker/Dockerfile.dockerignore)")
    run([str(uv), "venv", "-q", "--python", sys._base_executable, str(venv)])  # type: ignore[attr-defined]
    python = venv / "bin" / "python"
    run(
        [
            str(uv),
            "pip",
            "sync",
            "-q",
            "--python",
            str(python),
            "--require-hashes",
            str(source / "requirements.lock"),
        ]
    )
    run([str(uv), "pip", "install", "-q", "--python", str(python), "--no-deps", "-e", str(source)])
    timings["build"] = time.monotonic() - started
    return source, python, timings


def check_from_outside(python: Path, workdir: Path) -> list[str]:
    """What an operator runs: `hub connectors` and `hub sandbox serve` in the runtime install."""
    problems = []
    hub = python.parent / "hub"
    listed = subprocess.run([str(hub), "connectors", "--json"], cwd=workdir, capture_output=True, text=True)
    if listed.returncode != 0:
        return [f"hub connectors failed ({listed.returncode}): {listed.stderr[-2000:]}"]
    entries = json.loads(listed.stdout)
    problems += [f"hub connectors: {e['name']}: {e['error']}" for e in entries if e["error"]]
    problems += [
        f"hub connectors: {e['name']} has its sandbox installed" for e in entries if e["sandbox_installed"]
    ]
    print(f"hub connectors: {len(entries)} connectors, {sum(not e['error'] for e in entries)} loaded")
    sandbox = subprocess.run([str(hub), "sandbox", "serve"], cwd=workdir, capture_output=True, text=True)
    if sandbox.returncode != 2 or "not available in this installation" not in sandbox.stderr:
        problems.append(f"hub sandbox serve: exit {sandbox.returncode}: {sandbox.stderr[-1000:]}")
    if "Traceback" in sandbox.stderr:
        problems.append("hub sandbox serve printed a traceback")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return check_inside(args.inside)
    source, python, timings = build(args.workdir)
    started = time.monotonic()
    inside = subprocess.run([str(python), __file__, "--inside", str(source)], cwd=args.workdir)
    problems = check_from_outside(python, args.workdir)
    timings["checks"] = time.monotonic() - started
    print(f"timings: {', '.join(f'{k} {v:.0f}s' for k, v in timings.items())}")
    for problem in problems:
        print(f"FAIL {problem}")
    ok = inside.returncode == 0 and not problems
    print("runtime install: OK" if ok else "runtime install: FAILED")
    return 0 if ok else 1


# -- inside the runtime virtualenv ----------------------------------------------------------------
def production_modules(source: Path) -> list[str]:
    """Every module of the copied tree except Alembic's scripts (run below through the store)."""
    names = []
    for top in ("core", "connectors"):
        for path in sorted((source / top).rglob("*.py")):
            parts = list(path.relative_to(source).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            if not name.startswith("core.store.migrations"):
                names.append(name)
    return names


def check_inside(source: Path) -> int:
    problems: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="hub-runtime-check-"))
    os.environ.update({"AIRFLOW_HOME": str(home / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    os.environ["HUB_CONFIG"] = str(DEPLOYMENT_CONFIG)
    modules = production_modules(source)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            problems.append(f"import {name}: {type(exc).__name__}: {exc}")
    print(f"imported {len(modules) - len(problems)} of {len(modules)} production modules")

    import runpy

    for dag_file in sorted((source / "dags").glob("*.py")):
        try:
            dags = [k for k, v in runpy.run_path(str(dag_file)).items() if type(v).__name__ == "DAG"]
            print(f"{dag_file.name}: {len(dags)} DAGs from {DEPLOYMENT_CONFIG.relative_to(ROOT)}")
        except Exception as exc:
            problems.append(f"DAG file {dag_file.name}: {type(exc).__name__}: {exc}")

    connectors = sorted(entry_points(group="itsm_hub.connectors"), key=lambda e: e.name)
    for entry in connectors:
        try:
            entry.load()
        except Exception as exc:
            problems.append(f"connector {entry.name} ({entry.value}): {type(exc).__name__}: {exc}")
    print(f"loaded {len(connectors)} connector entry points")

    from core.store.engine import open_store

    logging.getLogger("alembic").setLevel(logging.WARNING)
    open_store(f"sqlite:///{home / 'hub.db'}").dispose()
    print("store migrations ran")

    present = [name for name in ABSENT if find_spec(name) is not None]
    problems += [f"{name} is importable in the runtime install" for name in present]
    packages = excluded_packages(ignore_rules(), source)
    problems += [f"{name} is installed" for name in packages if _findable(name)]
    print(
        f"absent: {', '.join(n for n in ABSENT if n not in present)}; no sandbox package of {len(packages)}"
    )

    if find_spec("pyodbc") is None:
        problems.append("pyodbc (munis-sql) is not installed from requirements.lock")
    else:
        try:
            importlib.import_module("pyodbc")
            print("pyodbc: installed and importable")
        except ImportError as exc:
            print(f"pyodbc: installed; importing it needs unixODBC on this host ({exc})")
    for problem in problems:
        print(f"FAIL {problem}")
    shutil.rmtree(home, ignore_errors=True)
    return 1 if problems else 0


def _findable(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ImportError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
