"""`make up`'s watchdog with real processes: a component that dies is named in one line with the
first error of its log and restarted; one that keeps dying stops everything with exit code 1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.demo import supervisor
from core.demo.supervisor import Component, stop_all, watch


def dying(tmp_path: Path, name: str) -> Component:
    script = "import sys; print('2026-12-07 [error    ] database is locked'); sys.exit(3)"
    return Component(name, [sys.executable, "-c", script], {}, tmp_path / f"{name}.log")


def test_a_component_that_keeps_dying_is_restarted_then_everything_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor, "MAX_RESTARTS", 2)
    steady = Component(
        "api-server", [sys.executable, "-c", "import time; time.sleep(60)"], {}, tmp_path / "api.log"
    )
    scheduler = dying(tmp_path, "scheduler")
    steady.start()
    scheduler.start()
    try:
        assert watch([steady, scheduler], poll_seconds=0.05) == 1
    finally:
        stop_all([steady, scheduler])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3, lines
    assert (
        "scheduler exited with code 3 (2026-12-07 [error    ] database is locked); restarting it (1/2)"
        in lines[0]
    )
    assert "restarting it (2/2)" in lines[1]
    assert "scheduler exited with code 3 again (2 restarts in 10 min); stopping everything" in lines[2]
    assert steady.exit_code() is not None, "the healthy component was stopped too"
    assert scheduler.log_path.read_text().count("starting scheduler") == 3, "each start is marked in its log"
