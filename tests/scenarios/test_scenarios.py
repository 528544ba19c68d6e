"""Every shipped lifecycle scenario passes, on SQLite and on PostgreSQL.

The scenarios are the specification of the lifecycle engine as agencies read it: each YAML file
is a story (hire, future-dated termination, rescind, rehire, conversion, crash during delivery...)
run against fresh sandbox tenants and a fresh store, exactly as `hub scenario run` runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.scenario.runner import run_scenario_file
from core.scenario.spec import load_scenario

SCENARIOS = sorted(Path(__file__).parent.glob("*.yaml"))


def test_at_least_fifteen_scenarios_ship() -> None:
    assert len(SCENARIOS) >= 15


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path, store_url: str) -> None:
    lines: list[str] = []
    result = run_scenario_file(path, store_url=store_url, echo=lines.append)
    assert result.passed, "\n".join(lines)


def test_an_unknown_step_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nstart: 2026-03-02\nsteps:\n  - sync: {}\n  - teleport: {}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:5: unknown step 'teleport'"):
        load_scenario(path)


def test_an_unknown_expectation_field_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nstart: 2026-03-02\nsteps:\n  - expect:\n      tickets:\n"
        "        - {employee_id: E1, colour: red}\n"
    )
    with pytest.raises(ConfigError, match=r"bad.yaml:6: unknown ticket field 'colour'"):
        load_scenario(path)


def test_a_failed_expectation_fails_the_scenario_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(
        "name: wrong on purpose\nstart: 2026-03-02\nsteps:\n  - sync: {}\n  - expect:\n"
        "      tickets:\n        - {employee_id: E10002, type: offboarding}\n"
    )
    lines: list[str] = []
    result = run_scenario_file(path, echo=lines.append)
    assert not result.passed
    assert any("E10002: no ticket matching {'type': 'offboarding'}" in f for f in result.failures)
