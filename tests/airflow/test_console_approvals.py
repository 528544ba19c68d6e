"""The console's Approvals page: an operator sees each action the hub waits to take (what, on
which account, for whom, when, and what it would change now, read from the tenant) and approves
or rejects it there, exactly as `hub approve` / `hub actions reject` would; a viewer only reads.

A real leaver under the default `approve` policy against the Workday and Microsoft 365 sandboxes;
the console's real FastAPI app renders; only Airflow's sign-in is replaced by a signed-in
operator (tests/ui signs in for real)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core.actions.stage import ExecutorCache
from core.airflow.console import approvals_queue
from core.airflow.console.access import Operator, reader
from core.airflow.console.app import create_app
from core.cli.app import _register_subcommands, app
from core.cli.times import deployment_time
from core.sandbox.fleet import SandboxFleet
from core.scenario.actions import opt_in

_register_subcommands()
UPN = "rui.tavares@agency.example.gov"
ZONE = "America/Chicago"
SAME_ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def leaver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, SandboxFleet]]:
    """One leaver whose Entra disable awaits approval (the default policy), in a Chicago deployment."""
    with SandboxFleet(tmp_path / "sandbox", scale=12, only=["workday", "office365"]) as fleet:
        path = fleet.write_hub_yaml(tmp_path / "hub.yaml", store_url=f"sqlite:///{tmp_path / 'hub.db'}")
        document = opt_in(yaml.safe_load(path.read_text()), fleet, ["office365"])
        path.write_text(yaml.safe_dump({**document, "timezone": ZONE}))
        workday, office365 = fleet.sandboxes["workday"], fleet.sandboxes["office365"]
        hired = workday.admin(
            "hire",
            {"given_name": "Rui", "family_name": "Tavares", "department": "IT", "title": "Analyst",
             "hire_date": "2024-01-08", "email": UPN},
        )  # fmt: skip
        employee_id = hired["employee_id"] if isinstance(hired, dict) else str(hired)
        office365.admin(
            "create_user", {"user_principal_name": UPN, "employee_id": employee_id, "display_name": "Rui"}
        )
        hub(path, "run")
        workday.admin("terminate", {"employee_id": employee_id, "termination_date": "2026-01-02"})
        for step in ("sync workday", "resolve", "apply"):
            hub(path, *step.split())
        monkeypatch.setenv("HUB_CONFIG", str(path))
        yield path, fleet


@pytest.fixture(autouse=True)
def no_remembered_dry_runs() -> Iterator[None]:
    """Action ids are idempotency keys, the same in every test: no test sees another's reading."""
    approvals_queue._recent.clear()
    yield
    approvals_queue._recent.clear()


def hub(path: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--config", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def waiting(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(hub(path, "approve", "--list", "--json"))["actions"])


def action(path: Path, ident: str) -> dict[str, Any]:
    return dict(json.loads(hub(path, "actions", "show", ident, "--json")))


def console(name: str = "dana", can_act: bool = True) -> TestClient:
    def signed_in(request: Request) -> Operator:
        request.state.operator = Operator(name=name, can_act=can_act)
        return request.state.operator

    console_app = create_app()
    console_app.dependency_overrides[reader] = signed_in
    return TestClient(console_app, follow_redirects=False)


def test_the_page_shows_what_each_action_would_do_and_for_whom(leaver: tuple[Path, SandboxFleet]) -> None:
    path, fleet = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    page = console().get("/approvals")
    assert page.status_code == 200, page.text
    section = page.text.split(f'id="action-{disable["id"]}"')[1].split("</section>")[0]
    assert "entra.disable_account" in section and disable["target"] in section
    assert f"({disable['instance']})" in section
    assert disable["employee_id"] in section and disable["ticket_key"] in section
    due = deployment_time(disable["due_at"], ZONE)
    assert due.endswith("-06:00") and due in section, "the due moment in Chicago time, with its offset"
    # the dry run, read from the tenant now: the account is still enabled, so disabling changes it
    assert "<li>accountEnabled: true -&gt; false</li>" in section
    assert "Approve</button>" in section and "Reject</button>" in section
    assert fleet.sandboxes["office365"].admin("write_requests", {})["count"] == 0, "a dry run never writes"
    assert "Approvals" in page.text.split("</nav>")[0]
    overview = console().get("/").text.split('id="waiting"')[1].split("</table>")[0]
    assert f'href="/approvals#action-{disable["id"]}"' in overview and due in overview


def test_approving_in_the_console_is_hub_approve(leaver: tuple[Path, SandboxFleet]) -> None:
    path, fleet = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    answer = console("dana").post(f"/actions/{disable['id']}/approve", headers=SAME_ORIGIN)
    assert answer.status_code == 303
    assert (
        "/approvals?done=" in answer.headers["location"]
        and "approved%20by%20dana" in answer.headers["location"]
    )
    decided = action(path, disable["id"])
    assert (decided["state"], decided["decided_by"]) == ("approved", "dana")
    assert disable["id"] not in {a["id"] for a in waiting(path)}

    hub(path, "apply")  # the next delivery pass takes it: the due moment has passed
    office365 = fleet.sandboxes["office365"]
    assert office365.admin("user_state", {"user": UPN})["account_enabled"] is False
    detail = console("dana").get(f"/actions/{disable['id']}")
    assert detail.status_code == 200
    assert f"by dana at {deployment_time(decided['decided_at'], ZONE)}" in detail.text
    assert "PATCH /v1.0/users/" in detail.text and "<strong>204</strong>" in detail.text
    assert "planned: accountEnabled: true -&gt; false" in detail.text, "the plan it acted on"
    assert "Approve</button>" not in detail.text, "done: nothing left to decide"


def test_a_decided_action_is_refused_not_decided_again(leaver: tuple[Path, SandboxFleet]) -> None:
    path, _ = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    hub(path, "approve", disable["id"])  # decided at the terminal while the page was open
    for verb in ("approve", "reject"):
        late = console("erin").post(f"/actions/{disable['id']}/{verb}", headers=SAME_ORIGIN)
        assert late.status_code == 409, late.text
        assert f"action {disable['id'][:12]}" in late.text and "is approved by operator" in late.text
    decided = action(path, disable["id"])
    assert (decided["state"], decided["decided_by"]) == ("approved", "operator"), "the first decision stands"


def test_rejecting_keeps_the_note_and_sends_nothing(leaver: tuple[Path, SandboxFleet]) -> None:
    path, fleet = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    answer = console("dana").post(
        f"/actions/{disable['id']}/reject", data={"note": "on leave, not leaving"}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 303 and "rejected%20by%20dana" in answer.headers["location"]
    hub(path, "apply")
    rejected = action(path, disable["id"])
    assert (rejected["state"], rejected["decided_by"]) == ("rejected", "dana")
    assert rejected["error"] == "rejected: on leave, not leaving"
    assert fleet.sandboxes["office365"].admin("user_state", {"user": UPN})["account_enabled"] is True
    log = console("dana").get("/approvals").text.split("<h2>Decisions")[1]
    assert f"action:{disable['id']}" in log and "on leave, not leaving" in log


def test_a_viewer_sees_no_buttons_and_cannot_post(leaver: tuple[Path, SandboxFleet]) -> None:
    path, _ = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    viewer = console("vic", can_act=False)
    for address in ("/approvals", f"/actions/{disable['id']}"):
        page = viewer.get(address)
        assert page.status_code == 200 and "accountEnabled: true -&gt; false" in page.text
        assert "<button" not in page.text, address
    refused = viewer.post(f"/actions/{disable['id']}/approve", headers=SAME_ORIGIN)
    assert refused.status_code == 403 and "may only read" in refused.text
    assert action(path, disable["id"])["state"] == "awaiting_approval"


def test_a_post_from_another_site_is_refused(leaver: tuple[Path, SandboxFleet]) -> None:
    """The operator's cookie rides along with a form on another site: the origin gives it away."""
    path, _ = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    operator = console("dana")
    for headers in ({"Origin": "https://elsewhere.example"}, {}):
        forged = operator.post(f"/actions/{disable['id']}/approve", headers=headers)
        assert forged.status_code == 403, headers
    assert action(path, disable["id"])["state"] == "awaiting_approval"


def test_unknown_actions_and_the_old_holds_address(leaver: tuple[Path, SandboxFleet]) -> None:
    operator = console("dana")
    for address in ("/actions/0123456789abcdef", "/actions/short"):
        assert operator.get(address).status_code == 404
    missing = operator.post("/actions/0123456789abcdef/approve", headers=SAME_ORIGIN)
    assert missing.status_code == 404 and "no action" in missing.text
    moved = operator.get("/holds")
    assert moved.status_code == 301 and moved.headers["location"] == "/approvals"


def test_a_dry_run_that_cannot_read_says_so_beside_its_action(leaver: tuple[Path, SandboxFleet]) -> None:
    """A tenant the hub cannot read (here its credentials were rotated) hides no action: the page
    still lists it, with why its dry run failed, and the operator may still decide."""
    path, _ = leaver
    (disable,) = [a for a in waiting(path) if a["kind"] == "entra.disable_account"]
    document = yaml.safe_load(path.read_text())
    for instance in document["instances"]:
        if instance["name"] == disable["instance"]:
            instance["config"]["client_secret"] = "rotated-elsewhere"
    path.write_text(yaml.safe_dump(document))
    page = console().get("/approvals")
    assert page.status_code == 200
    section = page.text.split(f'id="action-{disable["id"]}"')[1].split("</section>")[0]
    assert "dry run could not read:" in section and "rotated-elsewhere" not in page.text
    assert "Approve</button>" in section


def _count_dry_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every executor plan() the console asks for (each is a read against the tenant)."""
    read: list[str] = []
    real_get = ExecutorCache.get

    def counting_get(self: ExecutorCache, instance: str, kind: str) -> Any:
        executor = real_get(self, instance, kind)
        real_plan = executor.plan

        def plan(action: Any) -> Any:
            read.append(action.kind)
            return real_plan(action)

        monkeypatch.setattr(executor, "plan", plan)
        return executor

    monkeypatch.setattr(ExecutorCache, "get", counting_get)
    return read


def test_reloading_the_page_within_a_minute_shows_the_same_reading_not_a_new_one(
    leaver: tuple[Path, SandboxFleet], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = leaver
    read = _count_dry_runs(monkeypatch)
    count = len(waiting(path))
    first = console().get("/approvals")
    assert first.status_code == 200 and len(read) == count
    second = console().get("/approvals")
    assert len(read) == count, "the same unchanged actions within DRY_RUN_TTL are not read again"
    assert "accountEnabled: true -&gt; false" in second.text and "read " in second.text
    opened = waiting(path)[0]["id"]
    console().get(f"/actions/{opened}")
    assert len(read) == count + 1, "an action's own page always reads afresh"

    monkeypatch.setattr(approvals_queue, "DRY_RUN_TTL", approvals_queue.DRY_RUN_TTL * 0)
    console().get("/approvals")
    assert len(read) == 2 * count + 1, "an old reading is read again"


def test_beyond_the_first_actions_the_page_links_to_each_actions_own_dry_run(
    leaver: tuple[Path, SandboxFleet], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a mass termination hundreds may wait: one page load never reads them all."""
    path, _ = leaver
    read = _count_dry_runs(monkeypatch)
    monkeypatch.setattr(approvals_queue, "PAGE_DRY_RUNS", 0)  # as if 20 sooner ones came first
    (action,) = waiting(path)
    page = console().get("/approvals").text
    assert read == []
    section = page.split(f'id="action-{action["id"]}"')[1].split("</section>")[0]
    assert "dry run not read on this page" in section and f'href="/actions/{action["id"]}"' in section
    assert "Approve</button>" in section, "the operator may still decide"
    assert "accountEnabled: true -&gt; false" in console().get(f"/actions/{action['id']}").text
    assert len(read) == 1
