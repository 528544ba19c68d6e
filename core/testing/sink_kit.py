"""The ticket-sink contract kit: standard checks as data, run against every sink's sandbox.

Every connector registered in the `itsm_hub.connectors` entry-point group that is a `TicketSink`
and declares a `sandbox` gets every check in `SINK_CHECKS`, run by
`tests/contract/test_sink_contract.py`. Nothing to copy: register the sink and ship a sandbox that
defines `instance_config()`, `bad_credentials()`, `throttle_path` (a regex of a request path the
kit answers once with 429 + Retry-After) and these admin ops, which play the service desk:

- `tickets_with_key {key}` -> int: how many remote tickets carry this idempotency key;
- `describe_ticket {external_id}` -> {"key", "title", "due" (ISO timestamp, or ISO date when the
  tool only keeps a date), "tasks": [{"title", "state": open|closed|cancelled}], "notes": [text
  the agent can read: work notes, comments, resolution], "state": the tool's own state name};
- `start_work {external_id}`: an agent picks the ticket up (hub state `in_progress`);
- `close_ticket {external_id}`: an agent resolves/closes it (hub state `closed`).

For the delivery checks under faults (`core.testing.sink_fault_checks`) the sandbox also declares
`create_path` and `create_method`: the request that opens a ticket, where the kit arms a 502
after the create is applied and a connection dropped after it is applied.

Optional sandbox attributes: `task_path` (regex of the task-creation path, for tools whose tasks
are separate records: the kit interrupts a create there) and `cancelled_task_reads_as` (for a
tool without a cancelled task state, what a cancelled task reads back as, e.g. "closed").

The kit proves: secrets are marked in the config schema; `check()` passes, and with bad
credentials fails cleanly while sink calls raise `AuthError`, never showing a secret; a created
ticket is found again by its key; a redelivery after a crash finds instead of creating; `update`
moves the due date and brings tasks in line, and never reopens what the desk closed; `cancel`
leaves a readable reason; desk actions read back as hub states; a 429 + Retry-After is waited
out; and the real outbox delivers exactly once across a crash between remote create and local
record, then follows the desk's close through status sync.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core import clock
from core.config.hub_config import HubConfig
from core.connector.registry import discover
from core.connector.sink import TaskPayload, TicketPayload, TicketSink
from core.errors import AuthError, TransientError
from core.hub import Hub
from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import ServerError, Throttle
from core.sandbox.fleet import sandbox_class
from core.secrets import Secret
from core.store.engine import open_store
from core.store.schema import outbox, tickets
from core.tickets.outbox import deliver
from core.tickets.status_sync import sync_status

#: the hub instance name the outbox check gives the sink
SINK_INSTANCE = "desk"


@dataclass
class SinkKitContext:
    sink_cls: type[TicketSink]
    sandbox: Sandbox
    workdir: Path

    def sink(self, **overrides: Any) -> TicketSink:
        config = {**self.sandbox.instance_config(), **overrides}
        return self.sink_cls(self.sink_cls.config_model.model_validate(config), instance="contract")

    def desk(self, op: str, **args: Any) -> Any:
        """Act in the ITSM tool as its agents would (the sandbox's admin ops)."""
        with self.sandbox.lock:
            return self.sandbox.admin(op, args)


def sinks_with_sandbox() -> list[tuple[str, type[TicketSink]]]:
    """(type name, class) of every registered ticket sink that ships a sandbox."""
    found = []
    for entry in discover():
        cls = entry.cls
        if cls is not None and issubclass(cls, TicketSink) and cls.sandbox:
            found.append((entry.name, cls))
    return found


def start_sandbox(cls: type[TicketSink], ca: SandboxCA, workdir: Path) -> Sandbox:
    sandbox_cls = sandbox_class(cls)
    sandbox: Sandbox = sandbox_cls(
        seed=7, scale=int(getattr(sandbox_cls, "contract_scale", 30)), ca=ca, workdir=workdir
    )
    return sandbox.start()


def sink_kit_context(cls: type[TicketSink], ca: SandboxCA, workdir: Path) -> Iterator[SinkKitContext]:
    """A started sandbox and the context the checks need (a generator: stops the sandbox after)."""
    sandbox = start_sandbox(cls, ca, workdir / "sandbox")
    try:
        yield SinkKitContext(cls, sandbox, workdir)
    finally:
        sandbox.stop()


_serial = iter(range(1, 1_000_000))


def unique_key(label: str) -> str:
    """A fresh idempotency key shaped like the lifecycle engine's (employee:event:date)."""
    return f"E{10000 + next(_serial)}:{label}:2031-03-0{1 + next(_serial) % 9}"


def sample_ticket(
    key: str, *, due: datetime | None = None, tasks: list[TaskPayload] | None = None
) -> TicketPayload:
    """An offboarding ticket as the outbox sends it (names with diacritics on purpose)."""
    due = due or datetime(2031, 3, 14, 17, 0, tzinfo=UTC)
    return TicketPayload(
        key=key,
        type="offboarding",
        title=f"Offboard Zoë Ñúñez-Åberg ({key.split(':')[0]})",
        description="Last day 2031-03-13. Disable access and collect equipment.",
        priority="normal",
        due=due.isoformat(),
        employee_id=key.split(":")[0],
        person_name="Zoë Ñúñez-Åberg",
        assignment_group="Service Desk",
        state="open",
        tasks=tasks
        if tasks is not None
        else [
            {"title": "Disable directory account", "state": "open"},
            {"title": "Collect laptop SN-40213", "state": "open"},
        ],
    )


def same_due(remote: str, sent: str) -> bool:
    """A remote due (timestamp, or date when the tool keeps dates only) matches the sent one."""
    want = datetime.fromisoformat(sent).astimezone(UTC)
    if len(remote) == 10:
        return remote == want.date().isoformat()
    got = datetime.fromisoformat(remote.replace("Z", "+00:00"))
    got = got if got.tzinfo else got.replace(tzinfo=UTC)
    return abs((got - want).total_seconds()) < 60


def _task_pairs(tasks: list[Any]) -> list[tuple[str, str]]:
    return sorted((t["title"], t["state"]) for t in tasks)


def _secret_values(sink: TicketSink, overrides: dict[str, Any]) -> list[str]:
    values = [v for v in overrides.values() if isinstance(v, str) and len(v) >= 4]
    values += [v.reveal() for v in vars(sink.config).values() if isinstance(v, Secret) and v.reveal()]
    return values


# -- the checks ------------------------------------------------------------------------------


def config_schema_marks_secrets(ctx: SinkKitContext) -> None:
    model = ctx.sink_cls.config_model
    schema = model.model_json_schema()
    secret_fields = [n for n, f in model.model_fields.items() if "Secret" in str(f.annotation)]
    assert secret_fields, f"{ctx.sink_cls.type_name}: no Secret field; credentials must be Secret"
    for name in secret_fields:
        assert "writeOnly" in json.dumps(schema["properties"][name]), f"secret field {name!r} not writeOnly"


def check_passes_against_sandbox(ctx: SinkKitContext) -> None:
    result = ctx.sink().check()
    assert result.ok, f"check() failed against the sandbox: {result.message}"
    assert result.message


def bad_credentials_fail_cleanly(ctx: SinkKitContext) -> None:
    overrides = ctx.sandbox.bad_credentials()  # type: ignore[attr-defined]
    sink = ctx.sink(**overrides)
    secrets = _secret_values(sink, overrides)
    result = sink.check()  # must not raise
    assert not result.ok, "check() passed with credentials the sandbox rejects"
    assert "Traceback" not in result.message
    try:
        sink.find(unique_key("auth"))
    except AuthError as exc:
        message = str(exc)
    else:
        raise AssertionError("find() with rejected credentials did not raise AuthError")
    for secret in secrets:
        assert secret not in result.message, "a secret value leaked into check()'s message"
        assert secret not in message, "a secret value leaked into the AuthError message"


def created_ticket_is_found_by_key(ctx: SinkKitContext) -> None:
    sink = ctx.sink()
    key = unique_key("leaver")
    assert sink.find(key) is None, "find() returned a ticket for a key never sent"
    created = sink.create(sample_ticket(key))
    assert created["state"] == "open", f"a new ticket reads back as {created['state']!r}, not open"
    found = sink.find(key)
    assert found is not None, "find(key) does not see the ticket create() just opened"
    assert found["external_id"] == created["external_id"]
    assert found["state"] == "open"
    remote = ctx.desk("describe_ticket", external_id=created["external_id"])
    assert remote["key"] == key, "the remote ticket does not carry the idempotency key"
    assert remote["title"].startswith("Offboard Zoë"), "title lost its diacritics on the way"
    assert same_due(remote["due"], sample_ticket(key)["due"])


def redelivery_finds_instead_of_creating(ctx: SinkKitContext) -> None:
    """The outbox protocol: find before create; a crash after create must not open a second."""
    sink = ctx.sink()
    key = unique_key("joiner")
    first = sink.find(key) or sink.create(sample_ticket(key))
    # crash here: the hub never recorded `first`; the next delivery starts from scratch
    again = sink.find(key) or sink.create(sample_ticket(key))
    assert again["external_id"] == first["external_id"]
    count = ctx.desk("tickets_with_key", key=key)
    assert count == 1, f"{count} remote tickets carry key {key}"


def update_moves_due_and_tasks(ctx: SinkKitContext) -> None:
    sink = ctx.sink()
    key = unique_key("leaver")
    created = sink.create(sample_ticket(key))
    later = datetime(2031, 3, 17, 17, 0, tzinfo=UTC)
    tasks: list[TaskPayload] = [
        {"title": "Disable directory account", "state": "closed"},
        {"title": "Collect laptop SN-40213", "state": "cancelled"},
        {"title": "Transfer mailbox to manager", "state": "open"},
    ]
    changed = sample_ticket(key, due=later, tasks=tasks)
    result = sink.update(created["external_id"], changed)
    assert result["external_id"] == created["external_id"]
    remote = ctx.desk("describe_ticket", external_id=created["external_id"])
    assert same_due(remote["due"], changed["due"]), f"due not moved: {remote['due']} vs {changed['due']}"
    # a tool without a cancelled task state says what a cancelled task reads as (e.g. "closed")
    reads_as = getattr(ctx.sandbox, "cancelled_task_reads_as", "cancelled")
    want = [{**t, "state": reads_as if t["state"] == "cancelled" else t["state"]} for t in tasks]
    assert _task_pairs(remote["tasks"]) == _task_pairs(want), f"tasks not in line: {remote['tasks']}"
    sink.update(created["external_id"], changed)  # a repeated update is harmless
    remote = ctx.desk("describe_ticket", external_id=created["external_id"])
    assert _task_pairs(remote["tasks"]) == _task_pairs(want), "a repeated update duplicated tasks"


def update_never_reopens_a_closed_ticket(ctx: SinkKitContext) -> None:
    sink = ctx.sink()
    key = unique_key("leaver")
    created = sink.create(sample_ticket(key))
    ctx.desk("close_ticket", external_id=created["external_id"])
    sink.update(created["external_id"], sample_ticket(key, due=datetime(2031, 4, 1, 17, tzinfo=UTC)))
    state = sink.fetch_status(created["external_id"])["state"]
    assert state == "closed", f"an update reopened a ticket the desk closed (now {state!r})"


def cancel_leaves_a_reason(ctx: SinkKitContext) -> None:
    sink = ctx.sink()
    key = unique_key("joiner")
    created = sink.create(sample_ticket(key))
    reason = "hire rescinded in the HR system"
    result = sink.cancel(created["external_id"], reason)
    assert result["state"] == "cancelled", f"cancel() returned state {result['state']!r}"
    assert sink.fetch_status(created["external_id"])["state"] == "cancelled"
    notes = " ".join(ctx.desk("describe_ticket", external_id=created["external_id"])["notes"])
    assert reason in notes, "the cancellation reason is not readable in the ticket"


def desk_actions_read_back_as_hub_states(ctx: SinkKitContext) -> None:
    sink = ctx.sink()
    created = sink.create(sample_ticket(unique_key("mover")))
    external_id = created["external_id"]
    assert sink.fetch_status(external_id)["state"] == "open"
    ctx.desk("start_work", external_id=external_id)
    assert sink.fetch_status(external_id)["state"] == "in_progress"
    ctx.desk("close_ticket", external_id=external_id)
    assert sink.fetch_status(external_id)["state"] == "closed"


def throttling_is_waited_out(ctx: SinkKitContext) -> None:
    sink = ctx.sink()
    sink.find(unique_key("warmup"))  # any token exchange happens before the fault is armed
    fault = Throttle(path=ctx.sandbox.throttle_path, retry_after=1, times=1)  # type: ignore[attr-defined]
    ctx.sandbox.arm(fault)
    key = unique_key("leaver")
    created = sink.find(key) or sink.create(sample_ticket(key))
    assert fault.times == 0, "the armed 429 never fired: throttle_path does not match any request"
    found = sink.find(key)
    assert found is not None and found["external_id"] == created["external_id"]
    assert ctx.desk("tickets_with_key", key=key) == 1, "a throttled request was applied twice"


def interrupted_create_is_completed_by_find(ctx: SinkKitContext) -> None:
    """A create cut off after the ticket but before its tasks is finished by the next `find`.

    Applies to sinks whose tasks are separate records (the sandbox declares `task_path`, a regex
    of the task-creation path, which the kit fails once with a 503).
    """
    task_path = getattr(ctx.sandbox, "task_path", None)
    if task_path is None:
        return
    key = unique_key("leaver")
    fault = ServerError(path=task_path, method="POST", times=1)
    ctx.sandbox.arm(fault)
    try:
        ctx.sink(max_retries=0).create(sample_ticket(key))
    except TransientError:
        pass
    else:
        raise AssertionError("create() succeeded although creating its first task failed")
    assert fault.times == 0, "the armed 503 never fired: task_path does not match the task creation"
    found = ctx.sink().find(key)
    assert found is not None, "the half-created ticket is not found by its key"
    remote = ctx.desk("describe_ticket", external_id=found["external_id"])
    assert _task_pairs(remote["tasks"]) == _task_pairs(sample_ticket(key)["tasks"]), (
        f"find() did not finish the interrupted create: tasks are {remote['tasks']}"
    )
    assert ctx.desk("tickets_with_key", key=key) == 1


# -- the real outbox against the sink ---------------------------------------------------------


#: the kit's delivery policy: a failed intent is tried again by the very next pass, and a crashed
#: deliverer's lease runs out after 10 s of hub time (`leases_expired`)
KIT_DELIVERY: dict[str, Any] = {"backoff_seconds": 0, "max_backoff_seconds": 0, "lease_seconds": 10}


def outbox_hub(
    sink_cls: type[TicketSink],
    sink_config: dict[str, Any],
    store_url: str,
    *,
    delivery: dict[str, Any] | None = None,
    notifier: dict[str, Any] | None = None,
) -> Hub:
    """A hub whose ticket sink is `sink_cls` configured as instance `desk` (and, if given, a
    notifier instance `alerts` from `{"type": ..., "config": ...}`)."""
    document: dict[str, Any] = {
        "instances": [{"name": SINK_INSTANCE, "type": sink_cls.type_name, "config": sink_config}],
        "tickets": {"sink": SINK_INSTANCE, "delivery": {**KIT_DELIVERY, **(delivery or {})}},
    }
    if notifier is not None:
        document["instances"].append({"name": "alerts", **notifier})
        document["tickets"]["notifier"] = "alerts"
    return Hub(HubConfig.model_validate(document), open_store(store_url))


@contextmanager
def leases_expired(hub: Hub) -> Iterator[None]:
    """Inside, the hub's clock runs one lease length ahead: what a deliverer that crashed holding
    intents left behind is free to take over (the clock goes back on leaving)."""
    before = clock.source()
    ahead = timedelta(seconds=hub.config.tickets.delivery.lease_seconds + 1)
    clock.install(lambda: before() + ahead)
    try:
        yield
    finally:
        clock.install(before)


def enqueue(
    hub: Hub,
    ticket: TicketPayload,
    action: str,
    *,
    cancel_reason: str | None = None,
    sink: str = SINK_INSTANCE,
) -> None:
    """Record (or change) a hub ticket and queue one intent, as the lifecycle engine does (a
    cancel intent carries its reason)."""
    now = clock.now()
    due_at = datetime.fromisoformat(ticket["due"])
    values = {
        "type": ticket["type"],
        "employee_id": ticket["employee_id"],
        "person_name": ticket["person_name"],
        "state": ticket["state"],
        "priority": ticket["priority"],
        "title": ticket["title"],
        "description": ticket["description"],
        "assignment_group": ticket["assignment_group"],
        "due_at": due_at,
        "due_date": due_at.date(),
        "time_zone": "UTC",
        "tasks": [dict(t) for t in ticket["tasks"]],
        "updated_at": now,
    }
    with hub.store.engine.begin() as conn:
        exists = conn.scalar(sa.select(tickets.c.key).where(tickets.c.key == ticket["key"]))
        if exists:
            conn.execute(tickets.update().where(tickets.c.key == ticket["key"]).values(**values))
        else:
            conn.execute(
                tickets.insert().values(
                    key=ticket["key"],
                    event_id="00000000-0000-0000-0000-000000000000",
                    person_id="00000000-0000-0000-0000-000000000000",
                    sink=sink,
                    created_at=now,
                    **values,
                )
            )
        conn.execute(
            outbox.insert().values(
                ticket_key=ticket["key"],
                action=action,
                sink=sink,
                state="pending",
                created_at=now,
                cancel_reason=cancel_reason,
            )
        )


class SimulatedCrash(Exception):
    """Raised between the remote call and the local commit."""


def hub_ticket(hub: Hub, key: str) -> Any:
    with hub.store.engine.connect() as conn:
        return conn.execute(sa.select(tickets).where(tickets.c.key == key)).one()


def outbox_delivers_exactly_once_across_a_crash(ctx: SinkKitContext) -> None:
    hub = outbox_hub(ctx.sink_cls, ctx.sandbox.instance_config(), f"sqlite:///{ctx.workdir / 'outbox.db'}")
    try:
        key = unique_key("leaver")
        enqueue(hub, sample_ticket(key), "create")

        def crash(_key: str) -> None:
            raise SimulatedCrash

        try:
            deliver(hub, after_remote=crash)
        except SimulatedCrash:
            pass
        else:
            raise AssertionError("the crash hook never ran: nothing was delivered")
        assert hub_ticket(hub, key).external_id is None, "the crash happened before the local record"
        assert deliver(hub).delivered == 0, "an intent a live lease holds was taken"
        with leases_expired(hub):
            summary = deliver(hub)
        assert summary.reclaimed == 1, "the crashed deliverer's intent was not taken over"
        assert summary.delivered == 1 and not summary.errors, summary.errors
        assert ctx.desk("tickets_with_key", key=key) == 1, "the crash produced a second remote ticket"
        external_id = hub_ticket(hub, key).external_id
        assert external_id, "the redelivery did not record the external id"
        assert deliver(hub).delivered == 0, "a delivered intent was sent again"

        moved = sample_ticket(key, due=datetime(2031, 3, 20, 17, tzinfo=UTC))
        enqueue(hub, moved, "update")
        assert deliver(hub).delivered == 1
        assert same_due(ctx.desk("describe_ticket", external_id=external_id)["due"], moved["due"])

        ctx.desk("close_ticket", external_id=external_id)
        status = sync_status(hub)
        assert not status.errors, status.errors
        row = hub_ticket(hub, key)
        assert row.state == "closed", f"status sync left the hub ticket {row.state!r}"
        assert row.access_removed_at is not None, "closing an offboarding must stamp access removal"
    finally:
        hub.close()


SINK_CHECKS: list[Callable[[SinkKitContext], None]] = [
    config_schema_marks_secrets,
    check_passes_against_sandbox,
    bad_credentials_fail_cleanly,
    created_ticket_is_found_by_key,
    redelivery_finds_instead_of_creating,
    interrupted_create_is_completed_by_find,
    update_moves_due_and_tasks,
    update_never_reopens_a_closed_ticket,
    cancel_leaves_a_reason,
    desk_actions_read_back_as_hub_states,
    throttling_is_waited_out,
    outbox_delivers_exactly_once_across_a_crash,
]
