"""Closing the loop in Teams: the IT channel and the person's manager (from the canonical model)
get a card when an onboarding or offboarding ticket opens, when it is due soon and not done, and
when it completes, with the ticket's link; once per ticket, step and audience, across retries,
crashes and answers Teams may or may not have acted on (counted in the sandbox's posts)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.teams.sandbox import TeamsSandbox
from core import clock
from core.hub import Hub
from core.pipeline import run_lifecycle
from core.sandbox import fake_clock
from core.sandbox.faults import AppliedThenError, Throttle
from core.store.schema import notification_deliveries, tickets
from core.tickets.builtin_sink import BuiltinConfig, BuiltinSink
from core.tickets.notify import STALE_CLAIM, send_pending
from core.tickets.sinks import notifier
from core.tickets.status_sync import sync_status
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage

MANAGER = "maria.okafor@agency.example.gov"
PEOPLE = {
    "M100": person("M100", given_name="Maria", family_name="Okafor", work_email=MANAGER),
    "E60001": person("E60001", status="pre_hire", hire_date="2026-03-20", manager_employee_id="M100"),
}


def _hub(channel: TeamsSandbox, url: str, *, managers: bool = True) -> Hub:
    teams = {**channel.instance_config()}
    if managers:
        teams["manager_webhook_url"] = channel.trigger_url("manager")
    return make_hub(
        url,
        instances=[*INSTANCES, {"name": "teams", "type": "teams", "schedule": None, "config": teams}],
        tickets={"sink": "builtin", "notifier": "teams", "due_soon_hours": 48},
    )


@pytest.fixture
def hub(channel: TeamsSandbox, store_url: str) -> Iterator[Hub]:
    set_today("2026-03-01")
    hub = _hub(channel, store_url)
    yield hub
    hub.close()


def _sync(hub: Hub, people: dict[str, dict[str, Any]]) -> None:
    stage(hub, "workday", "workers", "person", people)
    run_lifecycle(hub)


def _posted(channel: TeamsSandbox) -> list[tuple[str, str, str | None]]:
    """(workflow, label, recipient) of every card the flows posted, in order."""
    return [
        (m["workflow"], m["texts"][0], m.get("recipient"))
        for m in channel.admin("messages", {})
        if m["posted"]
    ]


def _ticket(hub: Hub, employee_id: str) -> Any:
    with hub.store.engine.connect() as conn:
        return conn.execute(sa.select(tickets).where(tickets.c.employee_id == employee_id)).one()


def test_the_channel_and_the_manager_hear_of_an_onboarding_once_per_step(
    hub: Hub, channel: TeamsSandbox
) -> None:
    _sync(hub, PEOPLE)
    assert _posted(channel) == [("channel", "Ticket opened", None), ("manager", "Ticket opened", MANAGER)]
    manager_card = channel.admin("messages", {"workflow": "manager"})[0]
    assert "E60001" in manager_card["texts"][2] and manager_card["texts"][2].startswith("For your report")
    ticket = _ticket(hub, "E60001")
    [link] = [a["url"] for a in manager_card["actions"]]
    assert link.endswith(f"/hub-console/people/{ticket.person_id}"), (
        "the built-in desk's ticket is in the console"
    )

    fake_clock.set_now(ticket.due_at - timedelta(hours=60))
    sync_status(hub)
    assert len(_posted(channel)) == 2, "not yet due soon"
    fake_clock.set_now(ticket.due_at - timedelta(hours=30))
    sync_status(hub)
    sync_status(hub)
    assert _posted(channel)[2:] == [
        ("channel", "Ticket due soon", None),
        ("manager", "Ticket due soon", MANAGER),
    ]

    BuiltinSink(BuiltinConfig(), instance="builtin", store=hub.store).set_state(ticket.external_id, "closed")
    sync_status(hub)
    run_lifecycle(hub)
    assert _posted(channel)[4:] == [("channel", "Ticket closed", None), ("manager", "Ticket closed", MANAGER)]
    assert len(channel.admin("messages", {})) == 6, "six posts, nothing twice"


def test_an_offboarding_reaches_the_leavers_manager_too(hub: Hub, channel: TeamsSandbox) -> None:
    _sync(hub, {"M100": PEOPLE["M100"], "E60002": person("E60002", manager_employee_id="M100")})
    channel.admin("clear", {})
    _sync(
        hub,
        {
            "M100": PEOPLE["M100"],
            "E60002": person("E60002", manager_employee_id="M100", termination_date="2026-03-02"),
        },
    )
    assert _posted(channel) == [
        ("channel", "Ticket opened", None),
        ("manager", "Ticket opened", MANAGER),
        ("channel", "Ticket due soon", None),
        ("manager", "Ticket due soon", MANAGER),
    ]
    assert "offboarding" in channel.admin("messages", {})[0]["texts"][1]


def test_without_a_known_manager_or_manager_workflow_only_the_channel_hears(
    channel: TeamsSandbox, sqlite_url: str
) -> None:
    set_today("2026-03-01")
    hub = _hub(channel, sqlite_url, managers=False)
    try:
        _sync(hub, {**PEOPLE, "E60003": person("E60003", status="pre_hire", hire_date="2026-03-20")})
        assert [w for w, _, _ in _posted(channel)] == ["channel", "channel"]
        with hub.store.engine.connect() as conn:
            states = Counter((r.audience, r.state) for r in conn.execute(sa.select(notification_deliveries)))
        assert states == {("channel", "sent"): 2, ("manager", "skipped"): 1}
    finally:
        hub.close()


def test_a_crash_between_posting_and_recording_posts_each_card_once(hub: Hub, channel: TeamsSandbox) -> None:
    channel.arm(Throttle(path=channel.throttle_path, retry_after=3600, times=100))
    _sync(
        hub,
        {
            **PEOPLE,
            "E60004": person("E60004", status="pre_hire", hire_date="2026-03-20", manager_employee_id="M100"),
        },
    )
    assert _posted(channel) == [], "Teams throttled every post: decided, not yet posted"
    channel.faults.clear()

    def crash_after_the_second(key: str) -> None:
        if len(channel.admin("messages", {})) == 2:
            raise SystemExit("worker killed after Teams accepted the card")

    with pytest.raises(SystemExit):
        send_pending(hub, notifier(hub), after_post=crash_after_the_second)
    run_lifecycle(hub)  # the retry
    run_lifecycle(hub)
    posted = Counter(
        (m["workflow"], m["texts"][0], m["texts"][2]) for m in channel.admin("messages", {}) if m["posted"]
    )
    assert len(posted) == 4 and set(posted.values()) == {1}, "four cards, each posted once"
    fake_clock.set_now(clock.now() + STALE_CLAIM + timedelta(minutes=1))
    sync_status(hub)
    with hub.store.engine.connect() as conn:
        states = Counter(r.state for r in conn.execute(sa.select(notification_deliveries)))
    assert states == {"sent": 3, "unknown": 1}, "the crashed card is known to be of unknown outcome"
    assert len(channel.admin("messages", {})) == 4


def test_a_card_teams_may_have_posted_is_not_posted_again(hub: Hub, channel: TeamsSandbox) -> None:
    channel.arm(AppliedThenError(path=channel.workflow_id))
    _sync(hub, {"M100": PEOPLE["M100"], "E60001": PEOPLE["E60001"]})
    run_lifecycle(hub)
    assert [w for w, _, _ in _posted(channel)] == ["channel", "manager"], (
        "each once, though the hub saw a 502"
    )
    with hub.store.engine.connect() as conn:
        states = {r.audience: r.state for r in conn.execute(sa.select(notification_deliveries))}
    assert states == {"channel": "unknown", "manager": "sent"}
