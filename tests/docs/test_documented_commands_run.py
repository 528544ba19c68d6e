"""Every complete `hub ...` command the README and the runbook show, run as a new operator would
type it against the demo's store (the demo organisation on its sandboxes, its day of HR changes,
and a hiring storm the guard holds): placeholders (`KEY`, `<hold id>`, `EMPLOYEE_ID`...) become
real values from that store, and each command must finish without an error.

tests/docs/test_readme_commands.py checks that every command parses; this one runs them. A
command named bare in prose (`hub sync`, `hub tickets show`) is a reference, not an invocation:
it is run only when it is complete as written.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer._click.core import Context
from typer._click.exceptions import UsageError
from typer.testing import CliRunner, Result

from core import clock
from core.cli.app import app
from core.demo.story import hr_changes
from core.sandbox.fleet import SandboxFleet
from core.store.engine import open_store
from core.store.schema import holds, outbox, quarantine, tickets
from tests.docs.test_readme_commands import CLI, _after_group_options, documented_commands

SEED, SCALE = 7, 30
#: complete commands not run here, each with where it is exercised instead
NOT_RUN_HERE = {
    "sandbox serve": "serves until Ctrl-C: tests/cli/test_sandbox_serve.py runs it",
    "scenario run": "each scenario starts its own sandboxes: tests/scenarios runs every one",
}
#: documented exactly so in prose, and not run here as such
NOT_RUN_AS_WRITTEN = {
    "outbox retry": "bare, it asks for ids or --all; the runbook's dead-intent walkthrough runs both "
    "(tests/docs/test_runbook_dead_intents.py)",
}
#: exit codes a command may end with on the demo's store, besides 0, and why
ALSO_FINE = {
    "mapping preview": {5},  # the demo's sandboxes hold records the mappings refuse: shown, exit 5
    "run": {6},  # the hiring storm is held again until approved
    "apply": {6},
}


@dataclass
class Demo:
    hub_yaml: Path
    store: Path
    values: dict[str, str]

    def fresh_copy(self, workdir: Path) -> Path:
        """A hub.yaml on a copy of the demo's store: each command meets the demo as it was left
        (approving a hold twice is refused, rightly)."""
        store = workdir / "hub.db"
        shutil.copy(self.store, store)
        document = yaml.safe_load(self.hub_yaml.read_text())
        document["store"]["url"] = f"sqlite:///{store}"
        path = workdir / "hub.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("documented")
    hub_yaml, store_url = workdir / "hub.yaml", f"sqlite:///{workdir / 'hub.db'}"
    with SandboxFleet(workdir / "sandbox", seed=SEED, scale=SCALE) as fleet:
        document = fleet.hub_config(store_url=store_url, relative_to=workdir)
        document["lifecycle"] = {"storm_guard": {"max_count": 2}}
        hub_yaml.write_text(yaml.safe_dump(document, sort_keys=False))
        assert hub(hub_yaml, "run").exit_code == 0
        hr_changes(fleet.sandboxes, SEED, SCALE)
        assert hub(hub_yaml, "run").exit_code == 0
        start = (clock.today() + timedelta(days=10)).isoformat()
        for given in ("Ana", "Bea", "Cai"):  # one more than the storm guard lets through
            fleet.sandboxes["workday"].admin(
                "hire",
                {"given_name": given, "family_name": "Folau", "department": "IT", "title": "Analyst",
                 "hire_date": start},
            )  # fmt: skip
        assert hub(hub_yaml, "run").exit_code == 6, "the storm is held"
        yield Demo(hub_yaml, workdir / "hub.db", store_values(store_url))


def store_values(store_url: str) -> dict[str, str]:
    """A real value for each placeholder the pages use."""
    store = open_store(store_url)
    with store.engine.connect() as conn:
        ticket = conn.execute(
            sa.select(tickets.c.key, tickets.c.employee_id).where(tickets.c.sink == "builtin").limit(1)
        ).one()
        values = {
            "KEY": ticket.key,
            "EMPLOYEE_ID": ticket.employee_id,
            "HOLD": str(conn.scalar(sa.select(holds.c.id).where(holds.c.state == "held").limit(1))),
            "QUARANTINE_ID": str(conn.scalar(sa.select(sa.func.min(quarantine.c.id)))),
            "OUTBOX_ID": str(conn.scalar(sa.select(sa.func.min(outbox.c.id)))),
            "NAME": "workday",
            "CONNECTOR": "workday",
            "STREAM": "workers",
        }
    store.dispose()
    return values


def hub(hub_yaml: Path, *args: str) -> Result:
    """As typed, with HUB_CONFIG pointing at the deployment (the runbook's convention)."""
    return CliRunner().invoke(app, list(args), env={"HUB_CONFIG": str(hub_yaml), "COLUMNS": "100"})


def concrete(command: str, values: dict[str, str]) -> list[list[str]]:
    """The word lists an operator would type for a documented command: its placeholders filled in
    from the store, `list|show` alternatives expanded, `[--json]` typed, `...` left out."""
    text = command.replace("[", "").replace("]", "")
    text = re.sub(r"quarantine show ID", f"quarantine show {values['QUARANTINE_ID']}", text)
    text = re.sub(r"outbox show ID", f"outbox show {values['OUTBOX_ID']}", text)
    text = re.sub(r"--employee ID", f"--employee {values['EMPLOYEE_ID']}", text)
    for placeholder, value in (
        ("<hold id>", values["HOLD"]),
        ("<employee id>", values["EMPLOYEE_ID"]),
        ("<connector>", values["CONNECTOR"]),
        ("<stream>", values["STREAM"]),
    ):
        text = text.replace(placeholder, value)
    text = re.sub(r"\b[A-Z][A-Z_]*\b", lambda m: values.get(m.group(0), m.group(0)), text)
    words = [w.removesuffix("...") for w in shlex.split(text)[1:] if w not in ("...", "…")]
    choices = (w.split("|") if "|" in w else [w] for w in words)
    return [list(choice) for choice in itertools.product(*choices)]


GROUPS = {
    "tickets",
    "outbox",
    "quarantine",
    "review",
    "mapping",
    "source",
    "sandbox",
    "scenario",
    "db",
    "connector",
}


def command_name(words: list[str]) -> str:
    names = [w for w in words if not w.startswith("-")]
    return " ".join(names[:2]) if names and names[0] in GROUPS else (names[0] if names else "")


def complete(words: list[str]) -> bool:
    """Whether the words are a whole invocation, as typed: a command with every argument it
    needs (not a command or group named in prose, and no placeholder left)."""
    if any(re.fullmatch(r"[A-Z][A-Z_]*|<.*>", w) for w in words):
        return False
    command, args = CLI, words
    while hasattr(command, "get_command"):
        rest = _after_group_options(command, args)
        if not rest:
            return False  # `hub`, `hub outbox`: a group named, not run
        sub = command.get_command(Context(command), rest[0])
        if sub is None:
            return False
        command, args = sub, rest[1:]
    try:
        command.make_context("hub", list(args))
    except UsageError:
        return False
    return True


#: placeholders as the collection sees them; the test fills in the demo's real values
PLACEHOLDERS = {
    "KEY": "KEY", "EMPLOYEE_ID": "EMPLOYEE_ID", "HOLD": "HOLD", "QUARANTINE_ID": "QUARANTINE_ID",
    "OUTBOX_ID": "OUTBOX_ID", "NAME": "workday", "CONNECTOR": "workday", "STREAM": "workers",
}  # fmt: skip
SAMPLE = {
    **PLACEHOLDERS,
    **{k: "1" for k in ("HOLD", "QUARANTINE_ID", "OUTBOX_ID")},
    "KEY": "k",
    "EMPLOYEE_ID": "e",
}


def runnable() -> dict[str, str]:
    """`hub ...` as typed (placeholders named) -> the first page and line that shows it."""
    found: dict[str, str] = {}
    for where, command in documented_commands():
        for words, sample in zip(concrete(command, PLACEHOLDERS), concrete(command, SAMPLE), strict=True):
            if complete(sample):
                found.setdefault(" ".join(words), where)
    return found


def test_the_pages_show_commands_an_operator_can_run() -> None:
    assert len(runnable()) > 25


@pytest.mark.parametrize("command", sorted(runnable()))
def test_a_documented_command_runs_against_the_demo(command: str, demo: Demo, tmp_path: Path) -> None:
    where = runnable()[command]
    words = [demo.values.get(w, w) for w in command.split()]
    name = command_name(words)
    reason = NOT_RUN_AS_WRITTEN.get(command) or NOT_RUN_HERE.get(name)
    if reason:
        pytest.skip(reason)
    result = hub(demo.fresh_copy(tmp_path), *words)
    allowed = {0} | ALSO_FINE.get(name, set())
    assert result.exit_code in allowed, (
        f"{where}: `hub {' '.join(words)}` exited {result.exit_code}:\n{result.output[-2000:]}\n"
        f"{result.exception!r}"
    )
