"""`--json` everywhere, with the shapes docs/runbook.md promises: every `hub` command that prints
records or a result takes it, the runbook's table lists exactly those commands, and each command,
run against a store that has something of every kind (tickets, a hold, a review item, a
quarantined record, findings), prints one JSON document holding the keys the table guarantees."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from typer._click.core import Command
from typer.main import get_command
from typer.testing import CliRunner

from core.cli.app import _register_subcommands, app
from core.config.hub_config import StreamPolicy
from core.resolve.engine import resolve
from core.sandbox.fleet import SandboxFleet
from core.store.schema import actions, quarantine
from core.store.snapshots import finish_snapshot
from tests.engine.staging import make_hub, person, stage

Records = dict[str, dict[str, Any] | None]
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
runner = CliRunner()
_register_subcommands()

#: commands whose whole output is already a JSON document (a JSON Schema), so `--json` would add nothing
PRINTS_JSON_ALREADY = {"source schema", "mapping schema"}


def leaf_commands(
    command: Command | None = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, Command]]:
    command = command or get_command(app)
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(path), command
        return
    for name, sub in subcommands.items():
        yield from leaf_commands(sub, (*path, name))


def takes_json(command: Command) -> bool:
    return any("--json" in getattr(p, "opts", ()) for p in command.params)


def documented_shapes() -> dict[str, tuple[str, set[str]]]:
    """`hub ...` (placeholders dropped) -> (object | list, guaranteed keys), from the runbook's table."""
    section = RUNBOOK.read_text(encoding="utf-8").split("## Machine-readable output (`--json`)", 1)[1]
    shapes = {}
    for match in re.finditer(r"^\| `hub ([^`]+)` \| (object|list) \| (.*) \|$", section, re.MULTILINE):
        words = [w for w in match.group(1).split() if not re.fullmatch(r"[A-Z][A-Z_]*(\.\.\.)?", w)]
        # what follows a `;` and what is in brackets explains; the rest are the guaranteed keys
        guaranteed = re.sub(r"\([^)]*\)", "", match.group(3).split(";")[0])
        shapes[" ".join(words)] = (match.group(2), set(re.findall(r"`([a-z_]+)`", guaranteed)))
    return shapes


def test_every_command_that_prints_a_result_takes_json() -> None:
    leaves = dict(leaf_commands())
    assert len(leaves) > 30 and "tickets show" in leaves
    missing = [
        name for name, cmd in leaves.items() if not takes_json(cmd) and name not in PRINTS_JSON_ALREADY
    ]
    assert not missing, f"these commands print a result but take no --json: {missing}"


@pytest.mark.parametrize("command", sorted(PRINTS_JSON_ALREADY))
def test_a_command_without_json_prints_json_anyway(command: str) -> None:
    result = runner.invoke(app, command.split())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["$schema"]


def test_the_runbook_lists_exactly_the_commands_that_take_json() -> None:
    with_json = {name for name, cmd in leaf_commands() if takes_json(cmd)}
    documented = {name.split(" --")[0] for name in documented_shapes()}
    assert documented == with_json, (
        f"undocumented: {sorted(with_json - documented)}; documented but absent: {sorted(documented - with_json)}"
    )


@pytest.fixture(scope="module")
def hub_yaml(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Workday sandbox synced through the whole pipeline (tickets on the built-in desk), then
    one of everything else an operator meets: a held listing, a review item, a quarantined
    record and an account left enabled after its owner's termination."""
    workdir = tmp_path_factory.mktemp("json")
    store_url = f"sqlite:///{workdir / 'hub.db'}"
    with SandboxFleet(workdir / "sandbox", scale=20, only=["workday"]) as fleet:
        path = fleet.write_hub_yaml(workdir / "hub.yaml", store_url=store_url)
        assert runner.invoke(app, ["run", "--config", str(path)]).exit_code == 0
        hub = make_hub(store_url)
        everyone: Records = {f"P{i:03d}": person(f"P{i:03d}") for i in range(40)}
        stage(hub, "workday", "people", "person", everyone, snapshot=True)
        empty = stage(hub, "workday", "people", "person", {}, snapshot=True)  # held: everyone would go
        policy = StreamPolicy()
        finish_snapshot(
            hub.store, instance="workday", stream="people", partition="", run_id=empty.run_id, policy=policy
        )
        twins: Records = {
            "T1": person("T1", work_email="pat@city.gov"),
            "T2": person("T2", upn="pat@city.gov"),
        }
        stage(hub, "workday", "twins", "person", twins)
        leaver = person("G1", status="terminated", termination_date="2026-01-05", work_email="gone@city.gov")
        stage(hub, "workday", "gone", "person", {"G1": leaver})
        account = {"system": "entra", "external_id": "a1", "login": "gone@city.gov", "enabled": True}
        stage(hub, "workday", "accounts", "account", {"a1": account})
        resolve(hub)
        stage(hub, "workday", "mail", "person", {"m9": {"work_email": "PAT@city.gov"}})
        resolve(hub)
        starts = (date.today() + timedelta(days=10)).isoformat()
        stage(hub, "workday", "joiners", "person", {"J1": person("J1", status="pre_hire", hire_date=starts)})
        with hub.store.engine.begin() as conn:
            conn.execute(
                quarantine.insert().values(
                    instance="workday",
                    stream="workers",
                    record_key="99901",
                    field="hire_date",
                    reason="date(): text '2019-02-30' is not a real date",
                    payload={"Employee_ID": "99901"},
                    created_at=sa.func.now(),
                )
            )
            for index in (1, 2):  # the hub's own actions, waiting for an operator's decision
                conn.execute(
                    actions.insert().values(
                        id=f"{index}" * 64,
                        ticket_key="E1:e1:leaver:2026-01-05",
                        event_id="e1",
                        person_id="p1",
                        employee_id="G1",
                        kind="entra.disable_account",
                        instance="workday",
                        target=f"gone{index}@city.gov",
                        params={},
                        reason="leaver",
                        policy="approve",
                        state="awaiting_approval",
                        tasks=["Block sign-in"],
                        due_at=sa.func.now(),
                        requested_at=sa.func.now(),
                        evidence=[],
                        created_at=sa.func.now(),
                        updated_at=sa.func.now(),
                    )
                )
        hub.close()
        assert runner.invoke(app, ["apply", "--config", str(path)]).exit_code in (0, 6)
        yield path


def hub_json(path: Path, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--config", str(path), "--json"])
    # 5: a previewed record would be quarantined; 6: something is held (the fixture holds a listing)
    assert result.exit_code in (0, 5, 6), f"hub {' '.join(args)}: {result.output}{result.exception or ''}"
    return json.loads(result.stdout)


def first(path: Path, *args: str) -> Any:
    document = hub_json(path, *args)
    assert isinstance(document, list) and document, f"hub {' '.join(args)} listed nothing"
    return document[0]


def test_each_command_prints_the_documented_shape(hub_yaml: Path, tmp_path: Path) -> None:
    tickets = hub_json(hub_yaml, "tickets", "list")
    ticket = tickets[0]
    waiting = hub_json(hub_yaml, "approve", "--list")
    hold, (to_approve, to_reject) = waiting["holds"][0], waiting["actions"]
    review = first(hub_yaml, "review", "list")
    entry = first(hub_yaml, "quarantine", "list")
    outbox = first(hub_yaml, "outbox", "list")
    employee = next(t["employee_id"] for t in tickets if t["sink"] == "builtin")
    instance = yaml.safe_load(hub_yaml.read_text())["instances"][0]["name"]
    changed = tmp_path / "changed"  # a mapping "change" that changes nothing
    changed.mkdir()
    shipped = Path(__file__).resolve().parents[2] / "mappings"
    shutil.copy(shipped / "workday.yaml", changed)
    shutil.copytree(shipped / "lookups", changed / "lookups")
    invocations = {
        "status": ["status"],
        "tickets list": ["tickets", "list"],
        "tickets show": ["tickets", "show", ticket["key"]],
        "findings": ["findings"],
        "explain": ["explain", employee],
        "approve --list": ["approve", "--list"],
        "actions list": ["actions", "list"],
        "actions show": ["actions", "show", to_approve["id"][:12]],
        "actions reject": ["actions", "reject", to_reject["id"]],
        "review list": ["review", "list"],
        "quarantine list": ["quarantine", "list"],
        "quarantine show": ["quarantine", "show", str(entry["id"])],
        "outbox list": ["outbox", "list"],
        "outbox show": ["outbox", "show", str(outbox["id"])],
        "outbox retry": ["outbox", "retry", "--all"],
        "resolve": ["resolve"],
        "plan": ["plan"],
        "apply": ["apply"],
        "run": ["run"],
        "sync": ["sync", instance],
        "sync --employee": ["sync", instance, "--employee", employee],
        "check": ["check"],
        "connectors": ["connectors"],
        "db upgrade": ["db", "upgrade"],
        "mapping check": ["mapping", "check"],
        "mapping preview": ["mapping", "preview", "workday", "workers", "--from-store", "--limit", "2"],
        "mapping test": ["mapping", "test", "workday", "--stream", "workers", "--from-store", "--limit", "2"],
        "mapping diff": ["mapping", "diff", "workday", "--stream", "workers", "--dir", str(changed)],
        "review resolve": ["review", "resolve", str(review["id"]), "--new"],
        "approve": ["approve", str(hold["id"]), to_approve["id"]],
        "tickets close": ["tickets", "close", next(t["key"] for t in tickets if t["sink"] == "builtin")],
    }
    # neither reads the store, so no --config: run below without it
    standalone = {
        "mapping functions": ["mapping", "functions"],
        "source validate": ["source", "validate", "connectors/bamboohr/source.yaml"],
        "connector new": ["connector", "new", "payroll", "--kind", "source", "--dir", str(tmp_path)],
        "sandbox stop": ["sandbox", "stop", "--workdir", str(tmp_path / "none")],
    }
    shapes = documented_shapes()
    for name, args in {**invocations, **standalone}.items():
        kind, keys = shapes[name]
        if name in standalone:
            result = runner.invoke(app, [*args, "--json"])
            assert result.exit_code == 0, f"hub {name}: {result.output}"
            document = json.loads(result.stdout)
        else:
            document = hub_json(hub_yaml, *args)
        if name == "mapping diff":  # one report per stream
            document = next(iter(document.values()))
        assert isinstance(document, list if kind == "list" else dict), f"hub {name} is not a JSON {kind}"
        items = document if kind == "list" else [document]
        assert items, f"hub {name} printed an empty list: nothing to hold to the table"
        for item in items:
            assert keys <= set(item), f"hub {name} lacks {sorted(keys - set(item))}"
    untested = set(shapes) - set(invocations) - set(standalone)
    assert untested == {"sandbox serve", "scenario run"}, untested  # see the two tests below


def test_sandbox_serve_prints_its_document_on_stdout_and_progress_elsewhere(tmp_path: Path) -> None:
    import subprocess
    import sys

    workdir, hub_yaml = tmp_path / "sandbox", tmp_path / "hub.yaml"
    base = [sys.executable, "-m", "core.cli.app", "sandbox"]
    done = subprocess.run(
        [*base, "serve", "--only", "workday", "--scale", "5", "--background", "--json",
         "--workdir", str(workdir), "--write", str(hub_yaml)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    try:
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        _, keys = documented_shapes()["sandbox serve"]
        assert keys <= set(document) and list(document["sandboxes"]) == ["workday"]
        assert document["sandboxes"]["workday"].startswith("https://127.0.0.1:")
    finally:
        stopped = subprocess.run(
            [*base, "stop", "--json", "--workdir", str(workdir)], capture_output=True, text=True, check=False
        )
    assert json.loads(stopped.stdout)["stopped"] == document["pid"]


def test_scenario_run_keeps_its_steps_off_stdout(tmp_path: Path) -> None:
    story = Path(__file__).resolve().parents[1] / "scenarios"
    files = sorted(story.glob("*.yaml"))[:1]
    assert files, "the repository ships scenario files"
    result = runner.invoke(app, ["scenario", "run", "--json", *map(str, files)])
    document = json.loads(result.stdout)
    _, keys = documented_shapes()["scenario run"]
    assert keys <= set(document)
    assert document["passed"] + document["failed"] == 1 and document["scenarios"][0]["file"] == str(files[0])
    assert result.exit_code == (1 if document["failed"] else 0)
