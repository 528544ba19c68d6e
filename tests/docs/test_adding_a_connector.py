"""docs/adding-a-connector.md is followed literally: its files are written and its commands run,
in order, in an empty directory, and each walkthrough ends with the new connector synced.

Blocks fenced as ```yaml file=PATH are files to create; lines starting with `$ ` in ```console
blocks are commands (run with bash, each must succeed); other blocks are illustrations. Blocks
fenced ```console scaffold are the `hub connector new` walkthrough, run in a throwaway virtualenv
that sees the hub (the generated package is installed into it, never into the hub's own). The
commands come from the page itself, so the page cannot drift from what works.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scaffold.overlay import environment, overlay_venv

DOC = Path(__file__).resolve().parents[2] / "docs" / "adding-a-connector.md"
FENCE = re.compile(r"^```(?P<lang>\w+)(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
BIN = Path(sys.executable).parent


def steps(text: str, walkthrough: str = "") -> list[tuple[str, str, str]]:
    """("file", path, content) and ("run", command, "") of one walkthrough, in the page's order
    (`walkthrough` is the fence's tag: "" for the REST source, "scaffold" for `hub connector new`)."""
    found: list[tuple[str, str, str]] = []
    for block in FENCE.finditer(text):
        info = block.group("info").strip()
        if info.startswith("file="):
            if not walkthrough:
                found.append(("file", info.removeprefix("file="), block.group("body")))
        elif block.group("lang") == "console" and info == walkthrough:
            for line in block.group("body").splitlines():
                if line.startswith("$ "):
                    found.append(("run", line[2:].strip(), ""))
    return found


def run(command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if env is None:
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "200"}
        env.pop("HUB_CONFIG", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_page_has_a_walkthrough_to_follow() -> None:
    found = steps(DOC.read_text(encoding="utf-8"))
    commands = [s[1] for s in found if s[0] == "run"]
    assert [s[1] for s in found if s[0] == "file"] == ["hris/source.yaml", "hris/mapping.yaml"]
    assert any(c.startswith("hub sandbox serve --only hris") for c in commands)
    assert "hub sync hris" in commands and commands[-1] == "hub sandbox stop"


@pytest.mark.slow
def test_following_the_page_ends_with_the_new_source_synced(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    transcript: list[str] = []
    try:
        for kind, target, content in steps(text):
            if kind == "file":
                path = tmp_path / target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
                transcript.append(f"wrote {target}")
                continue
            done = run(target, tmp_path)
            transcript.append(f"$ {target}\n{done.stdout}{done.stderr}")
            assert done.returncode == 0, "\n".join(transcript)
    finally:
        run("hub sandbox stop", tmp_path)  # never leave the sandbox behind, even on failure
    status = json.loads(run("hub status --json", tmp_path).stdout)
    (stream,) = [s for s in status["streams"] if s["instance"] == "hris"]
    assert stream["last_run"]["status"] == "succeeded", stream
    kit = next(t for t in transcript if t.startswith("$ python -m core.testing.contract_kit"))
    assert "all checks passed" in kit and "FAILED" not in kit
    first_sync = next(t for t in transcript if t.startswith("$ hub sync hris"))
    assert "read 40, inserted 40" in first_sync


def test_the_error_the_page_shows_is_the_error_the_hub_gives(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    shown = re.search(r"e\.g\.\n`(?P<error>hris/source\.yaml:\d+: [^`]+)`", text)
    assert shown is not None
    (source,) = [content for kind, target, content in steps(text) if target == "hris/source.yaml"]
    (tmp_path / "hris").mkdir()
    (tmp_path / "hris" / "source.yaml").write_text(
        source.replace("records: data", "recrods: data"), encoding="utf-8"
    )
    done = run("hub source validate hris/source.yaml", tmp_path)
    assert done.returncode == 2 and shown.group("error") in done.stderr.replace("\n", " "), done.stderr


def test_the_scaffold_walkthrough_generates_installs_tests_and_syncs(tmp_path: Path) -> None:
    found = steps(DOC.read_text(encoding="utf-8"), "scaffold")
    commands = [command for _, command, _ in found]
    assert (
        commands[0].startswith("hub connector new payroll --kind source") and "hub sync payroll" in commands
    )
    env = environment(overlay_venv(tmp_path / "venv"))
    work = tmp_path / "work"
    work.mkdir()
    transcript: list[str] = []
    try:
        for command in commands:
            done = run(command, work, env)
            transcript.append(f"$ {command}\n{done.stdout}{done.stderr}")
            assert done.returncode == 0, "\n".join(transcript)
    finally:
        run("hub sandbox stop", work, env)
    tests = next(t for t in transcript if t.startswith("$ python -m pytest"))
    assert " passed" in tests and "failed" not in tests
    sync = next(t for t in transcript if t.startswith("$ hub sync payroll"))
    assert "read 40, inserted 40" in sync
