"""The hub console in a real browser, inside a real Airflow: every page shows the demo's data,
a viewer can read but not act, nobody unsigned gets in, and approving a held run lets the
next DAG run open the tickets it held."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa

from core import clock
from core.store.schema import holds, operator_actions, outbox, persons, quarantine, tickets
from tests.ui.conftest import Stack, screenshot
from tests.ui.stack import STORM_LIMIT

pytestmark = pytest.mark.ui


def console(page: Any, stack: Stack, path: str = "") -> Any:
    page.goto(f"{stack.airflow.url}/hub-console/{path}")
    return page


def rows(store_url: str, query: Any) -> list[Any]:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()


def upn_of(stack: Stack, employee_id: str) -> str:
    return str(
        rows(stack.store_url, sa.select(persons.c.upn).where(persons.c.employee_id == employee_id))[0].upn
    )


def test_the_console_is_never_open(stack: Stack) -> None:
    """No session, no page and no action: Airflow's authentication guards every route."""
    for method, path in (("GET", ""), ("GET", "people?q=1"), ("POST", "holds/x/approve")):
        answer = requests.request(method, f"{stack.airflow.url}/hub-console/{path}", timeout=120)
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    forged = requests.get(
        f"{stack.airflow.url}/hub-console/", headers={"Authorization": "Bearer not-a-token"}, timeout=120
    )
    assert forged.status_code in (401, 403)


def test_it_sits_in_airflow_navigation_and_shows_every_stream(admin_page: Any, stack: Stack) -> None:
    page = admin_page
    page.get_by_role("link", name="Hub console").click()
    frame = page.frame_locator("iframe")
    table = frame.locator("#streams")
    table.wait_for()
    text = table.inner_text()
    for instance in ("workday", "office365", "munis", "aws", "azure"):
        assert instance in text
    assert "fresh" in text
    assert "onboarding" in frame.locator("#held").inner_text()
    screenshot(page, "console-overview.png")


def test_provisioning_log_answers_why_a_ticket_happened(admin_page: Any, stack: Stack) -> None:
    key = rows(
        stack.store_url,
        sa.select(tickets.c.key, tickets.c.external_id, tickets.c.employee_id).where(
            tickets.c.type == "offboarding"
        ),
    )[0]
    page = console(admin_page, stack, "people")
    # by desk number: straight to the person, whose log shows the ticket and the event behind it
    page.get_by_label("find a person").fill(key.external_id)
    page.get_by_role("button", name="Find").click()
    timeline = page.locator("#timeline")
    timeline.wait_for()
    text = timeline.inner_text()
    assert f"offboarding ticket {key.key}" in text
    assert "leaver detected" in text
    assert "workday/workers" in text  # the source change, with its lineage
    screenshot(page, "console-provisioning-log.png")
    # the same person by ticket key, employee ID and UPN
    for ident in (key.key, key.employee_id, upn_of(stack, key.employee_id)):
        console(page, stack, f"people?q={quote(ident)}")
        assert key.employee_id in page.locator("h1").inner_text(), ident
    # one name: straight to that person; a common fragment: a list to choose from
    console(page, stack, "people?q=Folau")
    assert "Ana Folau" in page.locator("h1").inner_text()
    console(page, stack, "people?q=an")
    assert page.locator("#found tr").count() > 2


def test_quarantine_and_outbox_pages_show_the_demo_data(admin_page: Any, stack: Stack) -> None:
    page = console(admin_page, stack, "quarantine")
    entries_before = page.locator("#quarantine tr").count()
    assert entries_before > 1, "the demo's sandboxes hold records the mappings refuse"
    first = page.locator("#quarantine tr td a").first
    entry_id = first.inner_text()
    first.click()
    assert "The record as the source sent it" in page.content()
    page.get_by_label("dismissal note").fill("test record, never fixed at the source")
    page.get_by_role("button", name="Dismiss").click()
    assert f"quarantine entry {entry_id}: dismissed by admin" in page.get_by_role("status").inner_text()
    assert page.locator("#quarantine tr").count() == entries_before - 1
    (released,) = rows(
        stack.store_url, sa.select(quarantine.c.released_at).where(quarantine.c.id == int(entry_id))
    )
    assert released.released_at is not None
    assert "test record, never fixed at the source" in page.locator("table.log").inner_text()
    page = console(admin_page, stack, "outbox")
    assert page.locator("#delivered tr").count() > 1
    page = console(admin_page, stack, "review")
    assert page.locator("h1").inner_text().startswith("Review queue")


def test_a_dead_intent_is_shown_and_retried_by_an_operator(admin_page: Any, stack: Stack) -> None:
    # the desk refused one delivered intent's ticket until the outbox gave up: made dead here, as
    # `tickets.delivery.max_attempts` failures would leave it
    (intent,) = rows(
        stack.store_url, sa.select(outbox.c.id, outbox.c.ticket_key).order_by(outbox.c.id).limit(1)
    )
    engine = sa.create_engine(stack.store_url)
    with engine.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.id == intent.id)
            .values(state="dead", attempts=10, last_error="ServiceDeskError: 503", dead_at=sa.func.now())
        )
    engine.dispose()
    page = console(admin_page, stack, "")
    assert intent.ticket_key in page.locator("#dead").inner_text()
    page = console(admin_page, stack, "outbox")
    page.locator("#owed tr", has_text=intent.ticket_key).get_by_role("button", name="Retry").click()
    assert (
        f"outbox intent {intent.id}: back to pending, retried by admin"
        in page.get_by_role("status").inner_text()
    )
    (after,) = rows(
        stack.store_url, sa.select(outbox.c.state, outbox.c.attempts).where(outbox.c.id == intent.id)
    )
    assert (after.state, after.attempts) == ("pending", 0)
    logged = rows(
        stack.store_url,
        sa.select(operator_actions).where(operator_actions.c.subject == f"outbox:{intent.id}"),
    )
    assert [(a.actor, a.action) for a in logged] == [("admin", "retry")]


def test_deadlines_show_the_share_within_the_preset(admin_page: Any, stack: Stack) -> None:
    page = console(admin_page, stack, "deadlines")
    assert "fedramp_moderate" in page.locator("h1").inner_text()
    # the late-entered leaver's termination took effect yesterday: measured, on the bar
    assert "1 effective leaver" in page.locator("main").inner_text()
    assert page.locator("#chart rect").count() >= 1
    screenshot(page, "console-deadlines.png")


def test_a_viewer_reads_but_cannot_act(viewer_page: Any, stack: Stack) -> None:
    page = console(viewer_page, stack, "approvals")
    assert "(read only)" in page.locator("nav").inner_text()
    assert page.locator("section.hold").count() >= 1
    assert page.get_by_role("button", name="Approve").count() == 0
    hold_id = page.locator("section.hold").first.get_attribute("id")
    # the button is absent, and the action itself is refused to a viewer's session too
    answer = page.request.post(
        f"{stack.airflow.url}/hub-console/holds/{hold_id}/approve", headers={"Origin": stack.airflow.url}
    )
    assert answer.status == 403
    assert rows(stack.store_url, sa.select(holds.c.state).where(holds.c.id == hold_id))[0].state == "held"


def test_an_action_from_another_site_is_refused(admin_page: Any, stack: Stack) -> None:
    page = console(admin_page, stack, "approvals")
    hold_id = page.locator("section.hold").first.get_attribute("id")
    answer = page.request.post(
        f"{stack.airflow.url}/hub-console/holds/{hold_id}/approve",
        headers={"Origin": "https://elsewhere.example"},
    )
    assert answer.status == 403
    assert rows(stack.store_url, sa.select(holds.c.state).where(holds.c.id == hold_id))[0].state == "held"


def test_provision_on_demand_opens_exactly_that_persons_ticket(admin_page: Any, stack: Stack) -> None:
    workday = stack.fleet.sandboxes["workday"]
    start = (clock.today() + timedelta(days=5)).isoformat()
    new_hire = {"department": "IT", "title": "Analyst", "hire_date": start}
    employee_id = str(workday.admin("hire", {"given_name": "Kai", "family_name": "Palakiko", **new_hire}))
    # HR hires someone else at the same moment: theirs waits for the scheduled run
    other_id = str(workday.admin("hire", {"given_name": "Lea", "family_name": "Tuilagi", **new_hire}))
    every_ticket = sa.select(tickets.c.key, tickets.c.employee_id, tickets.c.external_id)
    before = {t.key for t in rows(stack.store_url, every_ticket)}

    page = console(admin_page, stack, "people")
    page.get_by_label("source").select_option("workday")
    page.get_by_label("employee ID to provision").fill(employee_id)
    page.get_by_role("button", name="Preview").click()
    steps = page.locator("#steps").inner_text()
    assert "onboarding ticket" in steps and "Kai Palakiko" in steps
    assert {t.key for t in rows(stack.store_url, every_ticket)} == before, "a preview changes nothing"
    screenshot(page, "console-provision-preview.png")

    page.get_by_role("button", name="Apply").click()
    assert "applied: 1 delivered" in page.locator("#steps").inner_text()
    new = [t for t in rows(stack.store_url, every_ticket) if t.key not in before]
    assert [(t.employee_id, t.external_id is not None) for t in new] == [(employee_id, True)]
    assert other_id not in {t.employee_id for t in rows(stack.store_url, every_ticket)}
    logged = rows(
        stack.store_url,
        sa.select(operator_actions).where(operator_actions.c.subject == f"person:{employee_id}"),
    )
    assert [(a.actor, a.action) for a in logged] == [("admin", "provision")]


def test_approving_a_held_run_lets_the_next_dag_run_open_its_tickets(admin_page: Any, stack: Stack) -> None:
    onboarding = sa.select(tickets.c.key).where(tickets.c.type == "onboarding")
    before = len(rows(stack.store_url, onboarding))
    page = console(admin_page, stack, "approvals")
    held = page.locator("section.hold[data-scope='lifecycle:onboarding']")
    hold_id = held.get_attribute("id")
    screenshot(page, "console-holds.png")
    held.get_by_role("button", name="Approve").click()
    assert "approved by admin" in page.get_by_role("status").inner_text()
    (hold,) = rows(stack.store_url, sa.select(holds).where(holds.c.id == hold_id))
    assert (hold.state, hold.decided_by) == ("approved", "admin")
    logged = rows(
        stack.store_url, sa.select(operator_actions).where(operator_actions.c.subject == f"hold:{hold_id}")
    )
    assert [(a.actor, a.action) for a in logged] == [("admin", "approve")]

    run = stack.airflow.run_dag("hub_lifecycle")
    assert run["state"] == "success"
    (hold,) = rows(stack.store_url, sa.select(holds).where(holds.c.id == hold_id))
    assert hold.state == "applied"
    assert len(rows(stack.store_url, onboarding)) == before + STORM_LIMIT + 1
