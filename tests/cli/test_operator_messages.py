"""What the hub tells an operator is true: every command a message, hint or doc suggests exists
(with the options it names), no message says "None", a held sync says why and how to approve it,
and `hub run` reports a failed source, goes on with the others and exits non-zero."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.errors import HubError
from core.sandbox.ca import SandboxCA

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
_register_subcommands()

#: `hub ...` in backticks, anywhere the hub speaks to an operator
SUGGESTION = re.compile(r"`hub ([^`]+)`")
PLACEHOLDER = re.compile(r"<[^>]*>|\{[^}]*\}|\[[^\]]*\]|\.\.\.")


def _spoken_files() -> Iterator[Path]:
    for folder in ("core", "connectors", "dags"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield from sorted((ROOT / "docs").glob("*.md"))
    yield from sorted((ROOT / "connectors").glob("*/README.md"))
    yield ROOT / "README.md"


def suggested_commands() -> dict[str, list[str]]:
    """Each distinct suggestion -> where it was found."""
    found: dict[str, list[str]] = {}
    for path in _spoken_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in SUGGESTION.finditer(line):
                found.setdefault(match.group(1), []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def _alternatives(words: list[str]) -> list[list[str]]:
    """`tickets list/show` and `mapping preview|test|diff` name several commands."""
    out: list[list[str]] = [[]]
    for word in words:
        choices = re.split(r"[|/]", word) if not word.startswith("-") else [word]
        out = [[*prefix, choice] for prefix in out for choice in choices if choice]
    return out


def _option(command: Any, name: str) -> Any:
    for param in command.params:
        if name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _resolve(words: list[str]) -> tuple[list[str], list[str]]:
    """The command path a suggestion names, and the options it mentions that its commands lack."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    unknown: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            name = "-v" if re.fullmatch(r"-v+", word) else word.split("=")[0]
            if name == "--help":  # every command has it (Click adds it, outside `params`)
                index += 1
                continue
            param = _option(command, name)
            if param is None:
                unknown.append(f"{' '.join(['hub', *path])} {name}")
            elif not (param.is_flag or getattr(param, "count", False)) and "=" not in word:
                index += 1  # the option's value
        else:
            group = getattr(command, "commands", None)  # a group of commands (typer vendors click)
            if group is not None and word in group:
                command = group[word]
                path.append(word)
            elif group is not None:
                raise AssertionError(f"`hub {' '.join(path)}` has no command {word!r}")
            # else an argument value such as `hub explain person E10001`
        index += 1
    return path, unknown


def test_every_command_a_message_or_doc_suggests_exists() -> None:
    suggestions = suggested_commands()
    assert len(suggestions) > 20, "the scan found the hub's suggestions"
    assert any(s.startswith("approve --list") for s in suggestions)
    for suggestion, where in suggestions.items():
        if re.match(r"^[A-Z]|^\.\.\.", suggestion):
            continue  # prose such as `hub ...`
        words = [w for w in PLACEHOLDER.sub(" ", suggestion).split() if w.isascii()]
        words = [w for w in words if not re.fullmatch(r"[A-Z][A-Z_]*", w)]  # ID, NAME, RUN_ID, KEY
        for alternative in _alternatives(words):
            try:
                path, unknown = _resolve(alternative)
            except AssertionError as exc:
                raise AssertionError(f"`hub {suggestion}` ({', '.join(where)}): {exc}") from None
            assert not unknown, f"`hub {suggestion}` ({', '.join(where)}): no option {unknown}"
            result = runner.invoke(app, [*path, "--help"])
            assert result.exit_code == 0, f"`hub {' '.join(path)} --help` failed: {result.output}"


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, HubError):
        return 1, f"{result.output}{result.exception.message} {result.exception.hint or ''}"
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture
def munis(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[Any]:
    from connectors.munis.sandbox import MunisSandbox

    with MunisSandbox(seed=7, scale=30, ca=sandbox_ca, workdir=tmp_path / "munis") as sandbox:
        yield sandbox


def _hub_yaml(tmp_path: Path, instances: list[dict[str, Any]]) -> str:
    path = tmp_path / "hub.yaml"
    document = {"store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}, "instances": instances}
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_a_held_sync_says_why_and_the_command_it_suggests_approves_it(munis: Any, tmp_path: Path) -> None:
    config = _hub_yaml(tmp_path, [{"name": "munis", "type": "munis", "config": munis.directory_config()}])
    code, out = invoke("sync", "munis", "--config", config)
    assert code == 0, out
    rows = [munis.data.employees[k] for k in sorted(munis.data.employees)]
    munis.exports.write("employees", rows[:10])  # an export that lost two thirds of the staff

    code, out = invoke("sync", "munis", "--stream", "employees", "--config", config)
    assert code == 6, out
    assert "None" not in out
    assert re.search(r"would mark (\d+) of (\d+) records missing", " ".join(out.split())), out
    suggested = re.search(r"`hub (approve [0-9a-f-]{36})`", out.replace("\n", ""))
    assert suggested, out

    code, status = invoke("status", "--config", config)
    assert code == 0 and "None" not in status, status
    assert "`hub approve --list`" in " ".join(status.split())
    code, listed = invoke("approve", "--list", "--config", config)
    assert code == 0 and "munis/employees" in listed and "None" not in listed

    code, out = invoke(*suggested.group(1).split(), "--config", config)
    marked = re.search(r"would mark (\d+) of", " ".join(listed.split()))
    assert marked, listed
    assert code == 0 and f"{marked.group(1)} records marked missing" in " ".join(out.split()), out
    code, again = invoke(*suggested.group(1).split(), "--config", config)
    assert code != 0 and "already applied" in again


def test_hub_run_reports_a_failed_source_runs_the_rest_and_exits_non_zero(
    munis: Any, sandbox_ca: SandboxCA, tmp_path: Path
) -> None:
    from connectors.example.sandbox import ExampleSandbox

    with ExampleSandbox(seed=3, scale=20, ca=sandbox_ca, workdir=tmp_path / "example") as example:
        directory = {**example.instance_config(), **example.bad_credentials()}
        config = _hub_yaml(
            tmp_path,
            [
                {"name": "directory", "type": "example", "config": directory},
                {"name": "munis", "type": "munis", "config": munis.directory_config()},
            ],
        )
        code, out = invoke("run", "--config", config)
    assert code == 3, f"an auth failure exits 3, not {code}: {out}"
    assert "failed directory (auth)" in out and "1 of 2 sources failed: directory" in " ".join(out.split())
    assert "synced munis" in out and "None" not in out
    code, status = invoke("status", "--config", config, "--json")
    assert json.loads(status)["entities"]["person"] >= 25, "the lifecycle ran on what synced"


def test_an_html_page_from_one_source_fails_that_source_only(
    munis: Any, sandbox_ca: SandboxCA, tmp_path: Path
) -> None:
    """A sign-in page answering for a source's API (a proxy, SSO) used to crash the whole run."""
    from connectors.example.sandbox import ExampleSandbox
    from core.sandbox.faults import HtmlPage

    with ExampleSandbox(seed=3, scale=20, ca=sandbox_ca, workdir=tmp_path / "example") as example:
        example.arm(HtmlPage(path=r"^/api/people$", times=1_000))
        directory = {**example.instance_config(), "max_retries": 1}
        config = _hub_yaml(
            tmp_path,
            [
                {"name": "directory", "type": "example", "config": directory},
                {"name": "munis", "type": "munis", "config": munis.directory_config()},
            ],
        )
        code, out = invoke("run", "--config", config)
    flat = " ".join(out.split())
    assert code == 4, f"a transient failure exits 4, not {code}: {out}"
    assert "failed directory (transient)" in flat and "text/html" in flat and "'Sign in to continue'" in flat
    assert "synced munis" in flat and "Traceback" not in out
