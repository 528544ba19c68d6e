"""`hub sandbox` and `hub scenario` come from the sandbox packages through the `itsm_hub.cli`
entry point: imported only when run, and where they cannot be imported (a production image has
no sandbox packages) `hub` says what to install instead of printing a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from core.cli.plugins import invoked_command

ROOT = Path(__file__).resolve().parents[2]


def hub(*args: str, path: list[str] | None = None, probe: str = "") -> subprocess.CompletedProcess[str]:
    """`hub ARGS` in a fresh interpreter (optionally with extra distributions on sys.path), then
    `probe` (Python printing to stderr) after the command finished."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = {path or []!r}
        sys.argv = ["hub", *{list(args)!r}]
        from core.cli.app import main
        try:
            main()
        finally:
            {probe or "pass"}
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def ghost_distribution(tmp_path: Path) -> str:
    """A distribution declaring a command group whose module is not installed."""
    dist = tmp_path / "ghost-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ghost\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[itsm_hub.cli]\nghost = core.ghost.cli:app\n")
    return str(tmp_path)


def test_the_invoked_command_is_the_first_word_that_is_not_an_option() -> None:
    assert invoked_command(["-v", "sandbox", "serve", "--scale", "5"]) == "sandbox"
    assert invoked_command(["--help"]) is None and invoked_command([]) is None


def test_a_group_that_cannot_be_imported_says_what_to_install(tmp_path: Path) -> None:
    done = hub("ghost", "serve", "--scale", "5", path=[ghost_distribution(tmp_path)])
    assert done.returncode == 2, done.stderr
    assert "`hub ghost` is not available in this installation" in done.stderr
    assert "No module named 'core.ghost'" in done.stderr and "itsm-hub[sandbox]" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_top_level_help_lists_it_as_unavailable(tmp_path: Path) -> None:
    done = hub("--help", path=[ghost_distribution(tmp_path)])
    assert done.returncode == 0, done.stderr
    assert "ghost" in done.stdout and "not available in this installation" in done.stdout
    assert "sandbox" in done.stdout and "Local sandbox tenants" in done.stdout


def test_production_commands_never_import_the_sandbox_packages() -> None:
    probe = (
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('core.sandbox', 'core.scenario', "
        "'core.testing')) or '.sandbox' in m)), file=sys.stderr)"
    )
    done = hub("connectors", "--json", probe=f"import json; {probe}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    listed = json.loads(done.stdout)
    assert all(e["sandbox_installed"] for e in listed if e["sandbox"])


def test_the_sandbox_group_runs_where_it_is_installed() -> None:
    done = hub("sandbox", "serve", "--help")
    assert done.returncode == 0, done.stderr
    assert "Serve every registered sandbox" in done.stdout


def test_tests_driving_the_app_without_a_command_line_get_every_group() -> None:
    from typer.testing import CliRunner

    from core.cli.app import _register_subcommands, app

    _register_subcommands()
    result = CliRunner().invoke(app, ["scenario", "run", "--help"])
    assert result.exit_code == 0 and "scenario YAML files" in result.output


def test_the_value_of_a_global_option_is_not_taken_for_the_command() -> None:
    argv = ["-vv", "--debug-logger", "botocore", "--log-file", "hub.log", "sandbox", "serve"]
    assert invoked_command(argv) == "sandbox"


def test_every_global_option_that_takes_a_value_is_known_to_the_command_finder() -> None:
    import typer

    from core.cli.app import app
    from core.cli.plugins import VALUE_OPTIONS

    takes_value = {
        opt
        for param in typer.main.get_command(app).params
        if not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for opt in param.opts
        if opt.startswith("-")
    }
    assert takes_value == set(VALUE_OPTIONS)
