"""The CLI at 80 columns (cron, pipes): every value whole, a table when it fits and one block
per record when it does not; `hub findings` filters; `hub tickets show` by key, desk number or
employee ID; times in the deployment's zone with its offset; errors in their true category."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.cli.output import console
from core.pipeline import run_lifecycle
from core.store.runs import finish_run
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage

runner = CliRunner()
_register_subcommands()
UNOWNED = 30


@pytest.fixture
def hub_yaml(tmp_path: Path, sqlite_url: str) -> Iterator[Path]:
    """One leaver whose account is still enabled, buried under 30 unowned cloud resources, and
    one joiner whose ticket is delivered to the built-in desk."""
    set_today("2026-03-10")
    hub = make_hub(sqlite_url)
    synced = stage(
        hub,
        "workday",
        "workers",
        "person",
        {
            "W1": person(
                "E1", status="terminated", termination_date="2026-03-01", work_email="gone@city.gov"
            ),
            "W2": person("E2", status="pre_hire", hire_date="2026-03-20", given_name="Maximiliana"),
        },
    )
    stage(
        hub,
        "office365",
        "users",
        "account",
        {"u1": {"system": "entra", "external_id": "u1", "login": "gone@city.gov", "enabled": True}},
    )
    stage(
        hub,
        "aws",
        "resources",
        "cloud_resource",
        {
            f"r{i}": {
                "provider": "aws",
                "resource_id": f"arn:aws:s3:::agency-archive-bucket-{i:03d}",
                "created_at": "2026-02-01T00:00:00Z" if i % 2 else "2026-03-08T00:00:00Z",
            }
            for i in range(UNOWNED)
        },
    )
    finish_run(hub.store, synced.run_id, status="succeeded", read=2, counts=synced.counts)
    run_lifecycle(hub)
    hub.close()
    path = tmp_path / "hub.yaml"
    document = {"store": {"url": sqlite_url}, "timezone": "America/Chicago", "instances": INSTANCES}
    path.write_text(yaml.safe_dump(document))
    width = console.width
    console.width = 80
    yield path
    console.width = width


def hub(path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--config", str(path)], catch_exceptions=False)
    return result.exit_code, result.output


def assert_readable_at_80(output: str) -> None:
    assert "…" not in output, "no value is cut"
    assert max(len(line) for line in output.splitlines()) <= 80


def test_status_tickets_and_findings_read_whole_at_80_columns(hub_yaml: Path) -> None:
    for command in (["status"], ["tickets", "list"], ["findings"]):
        code, out = hub(hub_yaml, *command)
        assert code == 0, out
        assert_readable_at_80(out)
    _, out = hub(hub_yaml, "tickets", "list")
    assert ":joiner:2026-03-20" in out and "HUB00000" in out
    _, out = hub(hub_yaml, "findings")
    assert all(f"arn:aws:s3:::agency-archive-bucket-{i:03d}" in out for i in range(UNOWNED))
    _, out = hub(hub_yaml, "status")
    workers = out[out.index("workday/workers") :]
    assert "2026-03-10 10:00:00-05:00" in workers, "the finish time in the deployment's zone, with its offset"


def test_wide_keeps_the_table(hub_yaml: Path) -> None:
    _, out = hub(hub_yaml, "tickets", "list", "--wide")
    header = next(line for line in out.splitlines() if "desk number" in line)
    assert "key" in header and "due" in header, "one table row per ticket"
    assert "…" not in out


def test_findings_start_with_counts_and_filter_by_kind_severity_and_date(hub_yaml: Path) -> None:
    code, out = hub(hub_yaml, "findings")
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith(f"{UNOWNED + 1} findings: 1 enabled_after_termination (high)")
    assert f"{UNOWNED} unowned_cloud_resource (low)" in first
    _, out = hub(hub_yaml, "findings", "--severity", "high", "--json")
    [leaver] = json.loads(out)
    assert (leaver["kind"], leaver["employee_id"], leaver["since"]) == (
        "enabled_after_termination",
        "E1",
        "2026-03-01",
    )
    _, out = hub(hub_yaml, "findings", "--kind", "unowned_cloud_resource", "--since", "2026-03-05", "--json")
    assert len(json.loads(out)) == UNOWNED // 2, "created on or after the date"
    _, out = hub(hub_yaml, "findings", "--since", "5d", "--json")
    assert {f["kind"] for f in json.loads(out)} == {"unowned_cloud_resource"}, (
        "the termination was 9 days ago"
    )
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="one of orphan_account, enabled_after_termination"):
        hub(hub_yaml, "findings", "--kind", "orphans")


def test_tickets_show_finds_a_ticket_by_key_desk_number_or_employee(hub_yaml: Path) -> None:
    listed = json.loads(hub(hub_yaml, "tickets", "list", "--json")[1])
    joiner = next(t for t in listed if t["employee_id"] == "E2")
    desk = joiner["external_id"]
    assert desk and desk.startswith("HUB")
    for ident in (joiner["key"], desk.lower(), "e2"):
        code, out = hub(hub_yaml, "tickets", "show", ident, "--json")
        assert code == 0 and [t["key"] for t in json.loads(out)] == [joiner["key"]], ident
    code, out = hub(hub_yaml, "tickets", "show", desk)
    assert code == 0 and f"desk number {desk}" in out and "due 2026-03-20 00:00:00-05:00" in out


def test_a_ticket_that_does_not_exist_is_not_found_not_a_config_error(hub_yaml: Path) -> None:
    from core.cli.output import EXIT_CODES
    from core.errors import NotFoundError

    result = runner.invoke(app, ["tickets", "show", "HUB999999", "--config", str(hub_yaml)])
    assert isinstance(result.exception, NotFoundError)
    assert "desk number" in result.exception.message and EXIT_CODES[result.exception.kind] == 8
