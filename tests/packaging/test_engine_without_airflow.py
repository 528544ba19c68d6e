"""The engine is plain Python: every production module outside core/airflow and dags/ imports
in a process where Airflow cannot be imported at all, and a sync runs there end to end. Only the
DAG files and core/airflow need Airflow (it is a runtime dependency because production runs
under it, not because the engine does)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.packaging.layout import ROOT, module_name, production_files

#: a meta-path finder that makes `import airflow` (and every submodule) fail, installed first
BLOCK_AIRFLOW = textwrap.dedent(
    """
    import sys

    class NoAirflow:
        def find_spec(self, name, path=None, target=None):
            if name == "airflow" or name.startswith("airflow."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked: the engine must not need it)")
            return None

    sys.meta_path.insert(0, NoAirflow())
    """
)


def engine_modules() -> list[str]:
    """Every production module except the Airflow glue, the DAG files and Alembic's migration
    scripts (Alembic loads those itself; the store test below runs them)."""
    return [
        name
        for name in (module_name(path, ROOT) for path in production_files())
        if not name.startswith(("core.airflow", "dags", "core.store.migrations"))
    ]


def run_without_airflow(body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_AIRFLOW + textwrap.dedent(body)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_blocker_really_blocks_airflow() -> None:
    result = run_without_airflow("import airflow.sdk\n")
    assert result.returncode != 0 and "blocked: the engine must not need it" in result.stderr


def test_every_engine_module_imports_without_airflow() -> None:
    modules = engine_modules()
    assert "core.lifecycle.engine" in modules and "connectors.aws.connector" in modules
    result = run_without_airflow(
        f"""
        import importlib, json
        failed = {{}}
        for name in {modules!r}:
            try:
                importlib.import_module(name)
            except Exception as exc:
                failed[name] = f"{{type(exc).__name__}}: {{exc}}"
        print(json.dumps({{"failed": failed, "airflow_loaded": sorted(m for m in sys.modules if m.split(".")[0] == "airflow")}}))
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"failed": {}, "airflow_loaded": []}


def test_the_store_migrates_and_the_cli_runs_without_airflow(tmp_path) -> None:
    """Not only imports: Alembic's migrations run and `hub connectors` lists every connector."""
    result = run_without_airflow(
        f"""
        import json, sys
        from core.store.engine import open_store
        store = open_store("sqlite:///{tmp_path / "hub.db"}")
        store.dispose()
        from core.cli.app import main
        sys.argv = ["hub", "connectors", "--json"]
        try:
            main()
        except SystemExit as exit:
            assert not exit.code, exit.code
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    listed = json.loads(result.stdout)
    assert {c["name"] for c in listed} >= {"workday", "munis", "aws", "azure", "servicenow", "builtin"}
    assert all(c["error"] is None for c in listed), [c for c in listed if c["error"]]
