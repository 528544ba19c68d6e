"""Every counterexample the model tests shrank stays in the suite: each file in `regressions/` is
a scenario whose `expect` is the reference model's answer, run through the sandboxes.

A file whose description names `pending engine work` (a step kind the engine on this branch
does not follow yet, see `tests/lifecycle_model/test_engine_matches_model.py`) is an expected
failure until that work lands; every other one must pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.scenario.runner import run_scenario_file

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.yaml"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_regression(path: Path) -> None:
    lines: list[str] = []
    result = run_scenario_file(path, echo=lines.append)
    if not result.passed and "pending engine work" in str(
        yaml.safe_load(path.read_text()).get("description")
    ):
        pytest.xfail("; ".join(result.failures))
    assert result.passed, "\n".join(lines)
