"""The hub's own actions as an operator and an auditor meet them: playbook errors that name the
line, the policy a task ends up with, the audit of an action whose first attempt crashed after
reaching the system, and decisions refused when there is nothing left to decide."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.actions.policy import (
    LEAVER_APPROVE,
    NAMES_OBJECTS,
    REVERSALS,
    ActionsConfig,
    ActionSpec,
    effective_policy,
)
from core.approvals import approve_action, approve_any, find_action, reject_action
from core.cli.app import _register_subcommands, app
from core.config.hub_config import HubConfig
from core.errors import ConfigError, NotFoundError
from core.lifecycle.playbooks import _load
from core.scenario.runner import run_scenario_file
from core.store.engine import open_store
from core.store.schema import actions, tickets
from core.vocabulary import ACTION_KINDS, ACTION_POLICIES

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
HEAD = "event: leaver\nticket_type: offboarding\ntitle: Offboard {display_name}\ntasks:\n"
PLAYBOOK_KINDS = [k for k in ACTION_KINDS if k not in REVERSALS.values()]

_register_subcommands()


@pytest.mark.parametrize(
    ("tasks", "line", "message"),
    [
        ("  - footprint: accounts\n    action: entra.disable_acount\n", 6, "tasks.0.action"),
        (
            "  - title: Badge\n  - footprint: assets\n    action: entra.disable_account\n",
            7,
            "cannot act on footprint 'assets'",
        ),
        (
            "  - footprint: licences\n    action: aws.deactivate_access_keys\n",
            6,
            "cannot act on footprint 'licences'",
        ),
        ("  - footprint: accounts\n    action: entra.enable_account\n", 6, "planned by the hub"),
        ("  - footprint: accounts\n    action: {kind: entra.disable_account, policy: always}\n", 6, "policy"),
        ("  - footprint: accounts\n    action: {kind: entra.disable_account, when: now}\n", 6, "when"),
        ("  - title: Groups\n    action: entra.restore_groups\n", 6, "planned by the hub"),
        ("  - title: Groups\n    action: entra.add_groups\n", 6, "needs `groups:`"),
        (
            "  - title: Licence\n    action: {kind: entra.add_licences, licences: []}\n",
            6,
            "needs `licences:`",
        ),
        (
            "  - title: Groups\n    action: {kind: entra.remove_groups, groups: [VPN Users]}\n",
            6,
            "only for entra.add_groups",
        ),
        (
            "  - title: Groups\n    action: {kind: entra.add_groups, groups: [VPN], licences: [E3]}\n",
            6,
            "only for entra.add_licences",
        ),
    ],
)
def test_a_bad_action_in_a_playbook_is_an_error_naming_file_and_line(
    tmp_path: Path, tasks: str, line: int, message: str
) -> None:
    path = tmp_path / "leaver.yaml"
    path.write_text(HEAD + tasks)
    with pytest.raises(ConfigError) as caught:
        _load(path)
    assert f"{path}:{line}:" in str(caught.value)
    assert message in str(caught.value)


def test_both_spellings_of_an_action_load(tmp_path: Path) -> None:
    path = tmp_path / "leaver.yaml"
    path.write_text(
        HEAD + "  - footprint: accounts\n    action: entra.disable_account\n"
        "  - footprint: access_keys\n    action: {kind: aws.deactivate_access_keys, system: aws_prod, policy: auto}\n"
    )
    book = _load(path)
    specs = [t.action for t in book.tasks]
    assert specs[0] == ActionSpec(kind="entra.disable_account")
    assert specs[1] == ActionSpec(kind="aws.deactivate_access_keys", system="aws_prod", policy="auto")


@given(
    st.sampled_from(PLAYBOOK_KINDS),
    st.sampled_from(["leaver", "joiner", "mover"]),
    st.none() | st.sampled_from(ACTION_POLICIES),
    st.none() | st.sampled_from(ACTION_POLICIES),
)
def test_hub_yaml_wins_over_the_playbook_which_wins_over_the_default(
    kind: Any, event: str, in_playbook: Any, in_hub_yaml: Any
) -> None:
    config = ActionsConfig(policies={kind: in_hub_yaml} if in_hub_yaml else {})
    named = {NAMES_OBJECTS[kind]: ["named in the playbook"]} if kind in NAMES_OBJECTS else {}
    policy = effective_policy(config, ActionSpec(kind=kind, policy=in_playbook, **named), event)
    default = "approve" if event == "leaver" and kind in LEAVER_APPROVE else "manual"
    assert policy == (in_hub_yaml or in_playbook or default)


@pytest.fixture(scope="module")
def crashed_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The store scenario 44 leaves: a crash after the first action reached the system, a rerun."""
    url = f"sqlite:///{tmp_path_factory.mktemp('crash') / 'hub.db'}"
    lines: list[str] = []
    result = run_scenario_file(SCENARIOS / "44_crash_during_actions.yaml", store_url=url, echo=lines.append)
    assert result.passed, "\n".join(lines)
    yield url


def _actions(url: str) -> list[dict[str, Any]]:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(actions).order_by(actions.c.created_at))]
    finally:
        store.dispose()


def test_the_crashed_action_is_re_read_not_re_sent_and_its_audit_says_so(crashed_store: str) -> None:
    rows = _actions(crashed_store)
    crashed = [r for r in rows if len(r["evidence"]) > 1]
    assert len(crashed) == 1, [r["evidence"] for r in rows]
    first, second = crashed[0]["evidence"]
    assert first["plan"]["changes"] and not first["previous_outcome_unknown"]
    # the crash came before the answer was recorded: the first attempt's exchanges are unknown...
    assert first["exchanges"] == []
    # ...so the rerun read the state again, found it done, and sent nothing
    assert second["previous_outcome_unknown"] is True
    assert second["plan"]["changes"] == [] and second["exchanges"] == []
    assert second["result"] == "already as wanted: nothing sent"
    for row in rows:
        if row is not crashed[0]:
            (attempt,) = row["evidence"]
            assert attempt["exchanges"] and all(e["status"] < 300 for e in attempt["exchanges"])


def _hub_yaml(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({"store": {"url": url}, "instances": []}))
    return path


def test_hub_actions_lists_and_shows_the_evidence(crashed_store: str, tmp_path: Path) -> None:
    config = _hub_yaml(tmp_path, crashed_store)
    runner = CliRunner()
    listed = runner.invoke(app, ["actions", "list", "--config", str(config), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert {r["kind"] for r in rows} == {
        "entra.disable_account",
        "entra.remove_licences",
        "aws.deactivate_access_keys",
    }
    assert all(r["state"] == "done" and r["evidence"] for r in rows)
    # the crash cut one action after it reached the system and before its answer was recorded:
    # the rerun re-read the target, found the change made and sent nothing (which action the crash
    # cuts follows the ids, new in every run); every other action sent exactly one request
    sent = {r["kind"]: [e for attempt in r["evidence"] for e in attempt["exchanges"]] for r in rows}
    assert sorted(len(exchanges) for exchanges in sent.values()) == [0, 1, 1]
    requests = {
        "entra.disable_account": ("PATCH /v1.0/users/", "", 204),
        "entra.remove_licences": ("POST /v1.0/users/", "/assignLicense", 200),
        "aws.deactivate_access_keys": ("iam:UpdateAccessKey", "", 200),
    }
    for kind, exchanges in sent.items():
        for exchange in exchanges:
            starts, ends, status = requests[kind]
            assert exchange["request"].startswith(starts) and exchange["request"].endswith(ends), exchange
            assert exchange["status"] == status, exchange
    if sent["entra.remove_licences"]:
        assert sent["entra.remove_licences"][0]["body"]["removeLicenses"]

    shown_kind = next(kind for kind, exchanges in sent.items() if exchanges)
    row = next(r for r in rows if r["kind"] == shown_kind)
    shown = runner.invoke(app, ["actions", "show", row["id"][:10], "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert requests[shown_kind][0].split()[0] in shown.output
    assert f"-> {requests[shown_kind][2]}" in shown.output


def test_deciding_an_action_that_ran_is_refused_with_what_happened(crashed_store: str) -> None:
    store = open_store(crashed_store)
    try:
        done = _actions(crashed_store)[0]
        with pytest.raises(ConfigError, match=r"is done: there is nothing to decide"):
            approve_action(store, done["id"][:12])
        with pytest.raises(ConfigError, match="nothing to decide"):
            reject_action(store, done["id"])
        # too short to name one action safely: read as a hold id, which names nothing
        assert find_action(store, done["id"][:5]) is None
        with pytest.raises(NotFoundError, match="nothing is held"):
            approve_any(store, HubConfig.model_validate({"store": {"url": crashed_store}}), done["id"][:5])
    finally:
        store.dispose()


def test_a_refused_action_keeps_graphs_answer_and_leaves_its_task_open_with_the_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    lines: list[str] = []
    scenario = SCENARIOS / "49_refused_action_leaves_the_task_open.yaml"
    assert run_scenario_file(scenario, store_url=url, echo=lines.append).passed, "\n".join(lines)
    (action,) = _actions(url)
    (attempt,) = action["evidence"]
    (exchange,) = attempt["exchanges"]
    assert exchange["request"].startswith("PATCH /v1.0/users/") and exchange["status"] == 403
    assert exchange["answer"]["error"]["code"] == "Authorization_RequestDenied"
    assert "403 Authorization_RequestDenied" in action["error"]
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            (ticket_tasks,) = conn.execute(
                sa.select(tickets.c.tasks).where(tickets.c.key == action["ticket_key"])
            ).one()
    finally:
        store.dispose()
    (task,) = [t for t in ticket_tasks if t["title"] in action["tasks"]]
    assert task["state"] == "open" and "403 Authorization_RequestDenied" in task["error"]


def test_what_an_action_left_for_a_technician_is_in_its_audit_and_its_task(tmp_path: Path) -> None:
    """Scenario 51's store: the dynamic group the hub would not touch is named, with why, by
    `hub actions show` and in the task that stays open."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    lines: list[str] = []
    result = run_scenario_file(SCENARIOS / "51_leaver_groups_removed.yaml", store_url=url, echo=lines.append)
    assert result.passed, "\n".join(lines)
    (removal,) = [r for r in _actions(url) if r["kind"] == "entra.remove_groups"]
    shown = CliRunner().invoke(
        app, ["actions", "show", removal["id"], "--config", str(_hub_yaml(tmp_path, url))]
    )
    assert shown.exit_code == 0, shown.output
    assert "left for a technician: IT Everyone (dynamic)" in shown.output
    assert "is a dynamic group" in shown.output
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            ticket = conn.execute(sa.select(tickets).where(tickets.c.key == removal["ticket_key"])).one()
    finally:
        store.dispose()
    (task,) = [t for t in ticket.tasks if t["title"] in removal["tasks"]]
    assert task["state"] == "open"
    assert "left for a technician: IT Everyone (dynamic)" in task["notes"][-1]
