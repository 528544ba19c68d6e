"""Teams notifications from the real outbox and status sync: opened, overdue, closed; a failing
notifier never holds up ticket delivery (the built-in desk is the sink here)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from connectors.teams.sandbox import TeamsSandbox
from core.hub import Hub
from core.pipeline import run_lifecycle
from core.sandbox.faults import Throttle
from core.store.schema import outbox, tickets
from core.testing.sink_kit import enqueue, sample_ticket, unique_key
from core.tickets.builtin_sink import BuiltinConfig, BuiltinSink
from core.tickets.outbox import deliver
from core.tickets.query import list_tickets
from core.tickets.status_sync import sync_status
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage


@pytest.fixture
def hub(channel: TeamsSandbox, sqlite_url: str) -> Iterator[Hub]:
    set_today("2026-03-01")
    hub = make_hub(
        sqlite_url,
        instances=[
            *INSTANCES,
            {"name": "teams", "type": "teams", "schedule": None, "config": channel.instance_config()},
        ],
        tickets={"sink": "builtin", "notifier": "teams"},
    )
    yield hub
    hub.close()


def _sync(hub: Hub, people: dict[str, dict[str, str | None]]) -> None:
    stage(hub, "workday", "workers", "person", {e: person(e, **fields) for e, fields in people.items()})
    run_lifecycle(hub)


def _labels(channel: TeamsSandbox) -> list[str]:
    return [m["texts"][0] for m in channel.admin("messages", {}) if m["posted"]]


def test_opened_overdue_and_closed_tickets_are_announced_once_each(hub: Hub, channel: TeamsSandbox) -> None:
    _sync(hub, {"E40001": {"hire_date": "2019-02-01"}})
    _sync(hub, {"E40001": {"hire_date": "2019-02-01", "termination_date": "2026-03-06"}})
    [ticket] = list_tickets(hub.store, employee_id="E40001")
    assert _labels(channel) == ["Ticket opened"]
    assert "E40001" in channel.admin("messages", {})[0]["texts"][2]

    set_today("2026-03-09")  # past due, still open in the desk
    assert sync_status(hub).overdue == 1
    sync_status(hub)
    assert _labels(channel) == ["Ticket opened", "Ticket overdue"], "overdue is announced once"

    BuiltinSink(BuiltinConfig(), instance="builtin", store=hub.store).set_state(
        ticket["external_id"], "closed"
    )
    sync_status(hub)
    assert _labels(channel) == ["Ticket opened", "Ticket overdue", "Ticket closed"]


def test_a_failing_notifier_never_holds_up_delivery(
    hub: Hub, channel: TeamsSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    old_signature = channel.signature
    channel.admin("rotate_signature", {})  # the channel owner regenerated the URL
    with caplog.at_level(logging.WARNING, logger="hub.notify"):
        _sync(hub, {f"E4100{i}": {"status": "pre_hire", "hire_date": "2026-03-20"} for i in range(3)})
    assert [t["external_id"] is not None for t in list_tickets(hub.store)] == [True, True, True]
    with hub.store.engine.connect() as conn:
        assert set(conn.scalars(sa.select(outbox.c.state))) == {"delivered"}
    assert channel.admin("messages", {}) == []
    warnings = [r.getMessage() for r in caplog.records if "notification ticket_opened" in r.getMessage()]
    assert len(set(warnings)) == 3, "one card per ticket, tried again by the status pass"
    assert all(old_signature not in w for w in warnings)

    channel.arm(Throttle(path=channel.throttle_path, retry_after=3600, times=10))
    _sync(hub, {"E41009": {"status": "pre_hire", "hire_date": "2026-03-20"}})
    assert list_tickets(hub.store, employee_id="E41009")[0]["external_id"], "delivered while Teams throttles"


def test_an_overdue_notice_that_failed_is_tried_again_on_the_next_sync(
    hub: Hub, channel: TeamsSandbox
) -> None:
    _sync(hub, {"E42001": {"hire_date": "2019-02-01"}})
    _sync(hub, {"E42001": {"hire_date": "2019-02-01", "termination_date": "2026-03-06"}})
    channel.admin("clear", {})
    set_today("2026-03-09")
    channel.arm(Throttle(path=channel.throttle_path, retry_after=3600, times=10))
    sync_status(hub)
    assert _labels(channel) == []
    channel.faults.clear()
    sync_status(hub)
    assert _labels(channel) == ["Ticket overdue"]
    assert deliver(hub).delivered == 0


def test_intents_that_give_up_are_announced_once(channel: TeamsSandbox, sqlite_url: str) -> None:
    hub = make_hub(
        sqlite_url,
        instances=[{"name": "teams", "type": "teams", "schedule": None, "config": channel.instance_config()}],
        tickets={
            "sink": "builtin",
            "notifier": "teams",
            "delivery": {"max_attempts": 2, "backoff_seconds": 0, "max_backoff_seconds": 0},
        },
    )
    try:
        keys = [unique_key("leaver"), unique_key("joiner")]
        for key in keys:
            enqueue(hub, sample_ticket(key), "create", sink="builtin")
        with hub.store.engine.begin() as conn:  # their ticket records are gone: every send fails
            conn.execute(tickets.delete())
        before = len(_labels(channel))
        assert deliver(hub).dead == 0
        assert _labels(channel)[before:] == [], "nothing is announced before an intent gives up"
        assert deliver(hub).dead == 2
        assert deliver(hub).failed == 0
        cards = [m for m in channel.admin("messages", {}) if m["posted"]][before:]
        assert [c["texts"][0] for c in cards] == ["Ticket delivery gave up"], "one card for the pass"
        assert cards[0]["texts"][1].startswith("2 ticket intents dead after 2 failed attempts")
        assert all(key in cards[0]["texts"][2] for key in keys)
        assert "hub outbox retry" in cards[0]["texts"][2]
    finally:
        hub.close()
