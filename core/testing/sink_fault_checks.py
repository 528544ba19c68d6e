"""Sink kit checks for delivery under ambiguous failures and concurrent deliverers.

Every ticket sink's sandbox declares `create_path` and `create_method` (the request that opens a
ticket); the checks arm the generic sandbox faults on it and run the real outbox:

- the create is applied but answered 502 (a gateway lost the reply);
- the create is applied, then the connection drops before the answer;
- two deliverers (two hubs on one store, in threads) drain the same intents at once, without the
  `deliver` stage lock (as when one stalled past it and went on): the per-intent claims alone
  keep them from sending an intent twice.

The crash between the remote create and the local commit is `outbox_delivers_exactly_once_across_a_crash`
in `core.testing.sink_kit`. Each check ends with exactly one ticket per key, counted by the
sandbox (`tickets_with_key`), never in the hub's own tables.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.hub import Hub
from core.sandbox.faults import AppliedThenDrop, AppliedThenError, Fault
from core.store.schema import outbox
from core.testing.sink_kit import (
    SinkKitContext,
    enqueue,
    hub_ticket,
    outbox_hub,
    sample_ticket,
    unique_key,
)
from core.tickets.outbox import DeliverySummary, deliver


@contextmanager
def hub_clock_ahead(seconds: float) -> Iterator[None]:
    """The hub's clock runs `seconds` ahead inside (and is put back after)."""
    before = clock.source()
    clock.install(lambda: before() + timedelta(seconds=seconds))
    try:
        yield
    finally:
        clock.install(before)


def pending(hub: Hub) -> int:
    with hub.store.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).where(outbox.c.state == "pending")) or 0)


def drain(hub: Hub, ctx: SinkKitContext, passes: int = 4) -> list[DeliverySummary]:
    """Deliver pass after pass, each later by a lease and the sink's search lag (what the
    scheduler's next runs would see), until nothing is pending."""
    step = hub.config.tickets.delivery.lease_seconds + ctx.sink().find_lag_seconds + 1
    summaries = []
    for n in range(passes):
        with hub_clock_ahead(n * step):
            summaries.append(deliver(hub))
        if not pending(hub):
            break
    return summaries


def _one_ticket_per_key(ctx: SinkKitContext, hub: Hub, keys: list[str]) -> None:
    for key in keys:
        count = ctx.desk("tickets_with_key", key=key)
        assert count == 1, f"{count} tickets at the sink carry key {key}"
        recorded = hub_ticket(hub, key).external_id
        found = ctx.sink().find(key)
        assert found is not None and recorded == found["external_id"], (
            f"the hub recorded {recorded!r} for {key}, the sink holds {found}"
        )


def _create_fault_heals(ctx: SinkKitContext, fault: Fault, name: str) -> None:
    create_path = getattr(ctx.sandbox, "create_path", None)
    assert create_path, f"{ctx.sink_cls.type_name}: the sandbox declares no create_path for the fault checks"
    fault.path, fault.method = create_path, getattr(ctx.sandbox, "create_method", "POST")
    hub = outbox_hub(ctx.sink_cls, ctx.sandbox.instance_config(), f"sqlite:///{ctx.workdir / f'{name}.db'}")
    try:
        key = unique_key("joiner")
        enqueue(hub, sample_ticket(key), "create")
        ctx.sandbox.arm(fault)
        summaries = drain(hub, ctx)
        assert fault.times == 0, f"the armed {fault.kind} never fired: create_path does not match the create"
        assert summaries[-1].delivered == 1 and not pending(hub), [s.as_dict() for s in summaries]
        _one_ticket_per_key(ctx, hub, [key])
    finally:
        ctx.sandbox.faults.clear()
        hub.close()


def create_applied_but_answered_502_yields_one_ticket(ctx: SinkKitContext) -> None:
    """The sink opened the ticket and a gateway answered 502: not re-sent blindly, found next pass."""
    _create_fault_heals(ctx, AppliedThenError(times=1), "applied-502")


def create_applied_then_dropped_yields_one_ticket(ctx: SinkKitContext) -> None:
    """The sink opened the ticket and the connection closed before the answer."""
    _create_fault_heals(ctx, AppliedThenDrop(times=1), "applied-dropped")


def two_deliverers_at_once_yield_one_ticket_per_key(ctx: SinkKitContext) -> None:
    """Two deliverers (a shell's `hub run` beside the Airflow task) on one store and one sink."""
    url = f"sqlite:///{ctx.workdir / 'two-deliverers.db'}"
    hubs = [outbox_hub(ctx.sink_cls, ctx.sandbox.instance_config(), url) for _ in range(2)]
    try:
        keys = [unique_key("leaver") for _ in range(6)]
        for key in keys:
            enqueue(hubs[0], sample_ticket(key), "create")
        start = threading.Barrier(2)
        summaries: list[DeliverySummary] = []
        failures: list[BaseException] = []

        def deliverer(hub: Hub) -> None:
            start.wait()
            try:
                summaries.append(_deliver_without_stage_lock(hub))
            except BaseException as exc:  # surfaced below, with the thread's own error
                failures.append(exc)

        threads = [threading.Thread(target=deliverer, args=(hub,)) for hub in hubs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not failures, failures
        assert sum(s.delivered for s in summaries) == len(keys), [s.as_dict() for s in summaries]
        _one_ticket_per_key(ctx, hubs[0], keys)
    finally:
        for hub in hubs:
            hub.close()


def _deliver_without_stage_lock(hub: Hub) -> DeliverySummary:
    unlocked: Callable[[Hub], DeliverySummary] = deliver.__wrapped__  # type: ignore[attr-defined]
    return unlocked(hub)


FAULT_CHECKS: list[Callable[[SinkKitContext], None]] = [
    create_applied_but_answered_502_yields_one_ticket,
    create_applied_then_dropped_yields_one_ticket,
    two_deliverers_at_once_yield_one_ticket_per_key,
]
