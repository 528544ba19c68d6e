"""Scenario files are strict: a step or field the runner would not use is an error naming the
file and line (with the spelling it probably meant) before anything runs, and a value a sandbox
refuses ends the scenario with one line naming the step, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.connector.registry import discover
from core.errors import ConfigError
from core.sandbox.fleet import sandbox_class
from core.scenario.runner import run_scenario_file
from core.scenario.spec import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def scenario(tmp_path: Path, *steps: str) -> Path:
    path = tmp_path / "story.yaml"
    path.write_text("name: story\nstart: 2026-03-02\nsteps:\n" + "".join(f"  - {s}\n" for s in steps))
    return path


def test_hub_scenario_run_rejects_an_unknown_field_with_file_line_and_the_likely_spelling(
    tmp_path: Path,
) -> None:
    path = scenario(
        tmp_path,
        "sync: {}",
        "office365.create_user: {upn: ana.silva@agency.example.gov, licenses: [M365_G3_GOV]}",
    )
    done = subprocess.run(
        [sys.executable, "-m", "core.cli.app", "scenario", "run", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={"COLUMNS": "300", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"{path}:5: unknown field 'licenses' in office365.create_user (did you mean 'licences'?)" in output
    assert "Traceback" not in output
    assert "sync" not in done.stdout.split("error")[0], "nothing runs before the file is valid"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("workday.hier: {employee_id: E9001}", r":4: unknown step 'workday.hier' \(did you mean 'workday.hire'\?\)"),
        ("wrokday.hire: {employee_id: E9001}", r":4: unknown sandbox 'wrokday' .*\(did you mean 'workday'\?\)"),
        ("workday.terminate: {employee_id: E9001, termination_day: 2026-04-01}",
         r":4: unknown field 'termination_day' in workday.terminate \(did you mean 'termination_date'\?\)"),
        ("sync: {ony: [workday]}", r":4: unknown field 'ony' in sync \(did you mean 'only'\?\)"),
        ("advence: 3d", r":4: unknown step 'advence' \(did you mean 'advance'\?\)"),
        ("office365.assign_license: {upn: a@agency.example.gov, licence: M365_G3_GOV}",
         r":4: unknown field 'licence' in office365.assign_license \(did you mean 'license'\?\)"),
    ],
)  # fmt: skip
def test_unknown_steps_and_fields_name_the_line_and_the_likely_spelling(
    tmp_path: Path, step: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_scenario(scenario(tmp_path, step))


def test_a_field_inside_an_update_is_checked_at_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "story.yaml"
    path.write_text(
        "name: story\nstart: 2026-03-02\nsteps:\n  - workday.update:\n      employee_id: E10002\n"
        "      fields:\n        title: Analyst\n        departmnet: FIN\n"
    )
    with pytest.raises(ConfigError, match=r"story.yaml:8: unknown field 'departmnet' .*'department'"):
        load_scenario(path)


def test_every_field_the_shipped_scenarios_use_is_one_their_operation_takes() -> None:
    for path in sorted((ROOT / "tests" / "scenarios").rglob("*.yaml")):
        load_scenario(path)  # raises on the first unknown step or field


def test_a_non_numeric_munis_employee_id_is_one_line_naming_the_step(tmp_path: Path) -> None:
    path = scenario(tmp_path, "munis.hire: {employee_id: EMP-7, first_name: Ana, last_name: Silva}")
    lines: list[str] = []
    result = run_scenario_file(path, echo=lines.append)
    assert not result.passed
    (failure,) = result.failures
    assert failure.startswith(
        f"{path}:4: munis.hire failed: employee_id 'EMP-7' is not a MUNIS employee number"
    )
    assert "\n" not in failure and "Traceback" not in "".join(lines)


def test_each_sandbox_declares_exactly_the_operations_it_runs() -> None:
    """The declarations the file check reads are the operations the sandbox really dispatches:
    an op it does not declare would be refused in scenarios, one it declares but lacks would
    pass the check and then fail."""
    from connectors.aws.sandbox import ops as aws_ops
    from connectors.munis.sandbox import EXPORT_OPS
    from connectors.munis.sandbox.ops import MunisOperations
    from connectors.office365.sandbox import admin as o365
    from connectors.workday.sandbox.tenant_admin import TenantAdmin

    declared = {
        e.name: set(sandbox_class(e.cls).admin_arguments) for e in discover() if e.cls and e.cls.sandbox
    }
    assert declared["workday"] == set(TenantAdmin(None, 7).ops)  # type: ignore[arg-type]
    assert declared["munis"] == set(MunisOperations(None).ops) | set(EXPORT_OPS)  # type: ignore[arg-type]
    assert declared["aws"] == set(aws_ops.OPS) | {"write_requests"}  # answered by the front's log
    office365_own = {"create_user", "set_throttle", "grant_permission", "revoke_permission"}
    office365_own |= {"user_state", "write_requests"}
    assert declared["office365"] == set(o365.OPS) | office365_own
