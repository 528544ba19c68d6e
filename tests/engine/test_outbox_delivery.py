"""The outbox under concurrent deliverers and failing intents, on SQLite and PostgreSQL: claims
keep two deliverers off the same intent, a crashed deliverer's claim runs out, one bad intent
never stops the others, and an intent that keeps failing ends `dead` until an operator retries it."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from core import clock
from core.config.hub_config import DeliveryPolicy, HubConfig
from core.hub import Hub
from core.status import hub_status
from core.store.engine import open_store
from core.store.schema import builtin_tickets, outbox, tickets
from core.testing.sink_kit import SimulatedCrash, enqueue, leases_expired, sample_ticket, unique_key
from core.tickets.dead_letter import list_intents, retry_dead
from core.tickets.leases import claim_next
from core.tickets.outbox import DeliverySummary, deliver


def builtin_hub(store_url: str, **delivery: Any) -> Hub:
    document = {"tickets": {"sink": "builtin", "delivery": delivery}}
    return Hub(HubConfig.model_validate(document), open_store(store_url))


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    running = builtin_hub(store_url, backoff_seconds=60, max_attempts=3, lease_seconds=30)
    yield running
    running.close()


def queue(hub: Hub, count: int, label: str = "joiner") -> list[str]:
    keys = [unique_key(label) for _ in range(count)]
    for key in keys:
        enqueue(hub, sample_ticket(key), "create", sink="builtin")
    return keys


def tickets_per_key(hub: Hub) -> dict[str, int]:
    """Counted at the sink: the built-in desk's own table, not the hub's ticket records."""
    with hub.store.engine.connect() as conn:
        rows = conn.execute(sa.select(builtin_tickets.c.key, sa.func.count()).group_by(builtin_tickets.c.key))
        return {key: int(n) for key, n in rows}


def states(hub: Hub) -> list[tuple[str, int]]:
    with hub.store.engine.connect() as conn:
        return [(r.state, r.attempts) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))]


#: the delivery pass without the `deliver` stage lock: what two deliverers do when one stalled
#: past its stage lock and went on sending; only the per-intent claims keep them apart
unlocked_deliver: Callable[..., DeliverySummary] = deliver.__wrapped__  # type: ignore[attr-defined]


@pytest.mark.parametrize("pass_", [unlocked_deliver, deliver], ids=["claims_alone", "with_stage_lock"])
def test_two_deliverers_at_once_send_every_intent_exactly_once(
    hub: Hub, pass_: Callable[..., DeliverySummary]
) -> None:
    keys = queue(hub, 24)
    start = threading.Barrier(2)
    summaries: list[DeliverySummary] = []

    def deliverer() -> None:
        start.wait()
        summaries.append(pass_(hub))

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert tickets_per_key(hub) == dict.fromkeys(keys, 1)
    assert sum(s.delivered for s in summaries) == 24, [s.as_dict() for s in summaries]
    assert not any(s.errors for s in summaries), [s.errors for s in summaries]


def test_a_claimed_intent_is_skipped_until_its_lease_runs_out_then_taken_over_with_a_lookup(hub: Hub) -> None:
    [key] = queue(hub, 1)

    def crash(_key: str) -> None:
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        deliver(hub, after_remote=crash, owner="host-a:101:crashed")
    assert tickets_per_key(hub) == {key: 1}, "the sink has it; the hub never recorded it"
    assert deliver(hub).delivered == 0, "a second deliverer took an intent under a live lease"
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(outbox.c.owner)) == "host-a:101:crashed"
    with leases_expired(hub):
        taken = deliver(hub, owner="host-b:202:next")
    assert (taken.delivered, taken.reclaimed) == (1, 1)
    assert tickets_per_key(hub) == {key: 1}, "the new owner looked the ticket up instead of creating it"
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(tickets.c.external_id).where(tickets.c.key == key)) is not None


def test_later_intents_of_a_claimed_ticket_wait_for_it(hub: Hub) -> None:
    [key] = queue(hub, 1)
    enqueue(hub, sample_ticket(key), "update", sink="builtin")
    first = claim_next(hub.store, "someone-else", after_id=0, lease=timedelta(minutes=5))
    assert first is not None and first.action == "create"
    summary = deliver(hub)
    assert summary.delivered == 0, "the update went out before the create another deliverer holds"
    assert [s for s, _ in states(hub)] == ["pending", "pending"]


def test_one_broken_intent_is_recorded_and_the_pass_goes_on(hub: Hub) -> None:
    keys = queue(hub, 3)
    with hub.store.engine.begin() as conn:  # the first intent's ticket record has vanished
        conn.execute(tickets.delete().where(tickets.c.key == keys[0]))
    summary = deliver(hub)
    assert (summary.delivered, summary.failed) == (2, 1)
    assert tickets_per_key(hub) == {keys[1]: 1, keys[2]: 1}
    [broken] = [i for i in list_intents(hub.store) if i["ticket_key"] == keys[0]]
    assert broken["state"] == "pending" and broken["attempts"] == 1
    assert broken["last_error"].startswith("NoResultFound"), broken["last_error"]
    assert broken["owner"] is None, "a failed intent keeps no lease"
    wait = clock.now() - timedelta(seconds=1) + timedelta(seconds=60)
    assert broken["next_attempt_at"] >= wait.isoformat()[:19], "backoff of 60 s not applied"
    assert deliver(hub).failed == 0, "the failed intent was retried before its backoff"


def test_an_intent_that_keeps_failing_is_dead_counted_and_retried_by_the_operator(store_url: str) -> None:
    hub = builtin_hub(store_url, backoff_seconds=0, max_backoff_seconds=0, max_attempts=2)
    try:
        [key] = queue(hub, 1)
        with hub.store.engine.begin() as conn:
            conn.execute(tickets.delete().where(tickets.c.key == key))
        assert deliver(hub).dead == 0
        assert deliver(hub).dead == 1
        assert states(hub) == [("dead", 2)]
        assert deliver(hub).failed == 0, "a dead intent was tried again"
        assert hub_status(hub.store)["outbox"] == {"pending": 0, "delivered": 0, "dead": 1}

        enqueue(hub, sample_ticket(key), "create", sink="builtin")  # the cause is fixed
        [dead_id] = [i["id"] for i in list_intents(hub.store, state="dead")]
        assert retry_dead(hub.store) == [dead_id]
        assert states(hub)[0] == ("pending", 0)
        summary = deliver(hub)
        assert summary.delivered == 2 and tickets_per_key(hub) == {key: 1}
    finally:
        hub.close()


def test_delivery_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="max_backoff_seconds"):
        DeliveryPolicy(backoff_seconds=600, max_backoff_seconds=60)
    with pytest.raises(ValueError):
        DeliveryPolicy(max_attempts=0)
    assert [DeliveryPolicy(backoff_seconds=30, max_backoff_seconds=100).backoff(n) for n in (1, 2, 3, 4)] == [
        30,
        60,
        100,
        100,
    ]


def test_the_claim_of_a_deliverer_process_gone_from_this_host_ends_at_once(hub: Hub) -> None:
    [key] = queue(hub, 1)
    gone = f"{socket.gethostname()}:{_pid_of_finished()}:dead"
    elsewhere = "another-host:1:alive"
    claim_next(hub.store, gone, after_id=0, lease=timedelta(minutes=10))
    taken = deliver(hub)
    assert (taken.delivered, taken.reclaimed) == (1, 1), "the killed deliverer's claim held the intent"
    assert tickets_per_key(hub) == {key: 1}

    [other] = queue(hub, 1)
    claim_next(hub.store, elsewhere, after_id=0, lease=timedelta(minutes=10))
    assert deliver(hub).delivered == 0, "a claim from another host is only freed by its expiry"
    assert tickets_per_key(hub).get(other) is None


def _pid_of_finished() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
