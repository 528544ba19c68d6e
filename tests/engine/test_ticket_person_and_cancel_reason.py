"""What a sink is told about the person and a cancellation is data the hub stored, not text it
parses back: every playbook's ticket reaches the sink with the person's name, whatever its title
says, and a cancel carries the lifecycle's reason, whatever the description says."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from core.connector.sink import RemoteTicket
from core.lifecycle.engine import evaluate
from core.pipeline import run_lifecycle
from core.resolve.engine import resolve
from core.store.schema import builtin_tickets, outbox, tickets
from core.tickets.builtin_sink import BuiltinConfig, BuiltinSink
from core.tickets.outbox import _send
from tests.engine.staging import make_hub, person, set_today, stage

#: a name the old title parsing could not survive: it holds " (" and the word "Onboard"
NAME = {"given_name": "Onboard", "preferred_name": "Zoë (Zee)", "family_name": "Ñúñez-Åberg"}
DISPLAY = "Zoë (Zee) Ñúñez-Åberg"
BASE = {"hire_date": "2018-01-01", **NAME}


@pytest.fixture
def hub(store_url: str):
    set_today("2026-03-01")
    hub = make_hub(store_url)
    yield hub
    hub.close()


def _sync(hub: Any, fields: dict[str, dict[str, Any]]) -> None:
    stage(hub, "workday", "workers", "person", {k: person(k, **v) for k, v in fields.items()})
    run_lifecycle(hub)


def _joiner(hub: Any) -> None:
    _sync(hub, {"E1": {**BASE, "status": "pre_hire", "hire_date": "2026-03-15"}})


def _leaver(hub: Any) -> None:
    _sync(hub, {"E1": BASE})
    _sync(hub, {"E1": {**BASE, "status": "terminated", "termination_date": "2026-03-20"}})


def _mover(hub: Any) -> None:
    _sync(hub, {"E1": BASE})
    _sync(hub, {"E1": {**BASE, "org_unit": "IT"}})


def _rehire(hub: Any) -> None:
    _sync(hub, {"E1": BASE})
    _sync(hub, {"E1": {**BASE, "status": "terminated", "termination_date": "2026-02-27"}})
    _sync(hub, {"E1": {**BASE, "hire_date": "2026-04-01", "status": "pre_hire", "termination_date": None}})


def _conversion(hub: Any) -> None:
    _sync(hub, {"C1": {**BASE, "worker_type": "contractor"}})
    _sync(hub, {"E1": {**BASE, "previous_employee_id": "C1"}})


STORIES = {
    "joiner": (_joiner, "Onboard"),
    "leaver": (_leaver, "Offboard"),
    "mover": (_mover, "Transfer"),
    "rehire": (_rehire, "Rehire"),
    "conversion": (_conversion, "Convert"),
}


@pytest.mark.parametrize("playbook", list(STORIES))
def test_each_playbook_s_ticket_reaches_the_sink_with_the_person_s_name(hub: Any, playbook: str) -> None:
    story, title_starts = STORIES[playbook]
    story(hub)
    with hub.store.engine.connect() as conn:
        delivered = [row.payload for row in conn.execute(sa.select(builtin_tickets))]
    [ticket] = [t for t in delivered if t["title"].startswith(title_starts)]
    assert ticket["person_name"] == DISPLAY, ticket["title"]
    with hub.store.engine.connect() as conn:
        stored = conn.scalar(sa.select(tickets.c.person_name).where(tickets.c.key == ticket["key"]))
    assert stored == DISPLAY


class RecordingSink(BuiltinSink):
    """The built-in desk, remembering what each cancel was told."""

    reasons: list[str]

    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        self.reasons.append(reason)
        return super().cancel(external_id, reason)


def test_a_cancel_tells_the_sink_the_lifecycle_s_reason_not_the_description_s_last_words(
    hub: Any,
) -> None:
    _joiner(hub)
    with hub.store.engine.begin() as conn:  # an agent-visible text that mimics the hub's sentence
        conn.execute(tickets.update().values(description="Cancelled by the hub: a sentence someone typed"))
    rescinded = {**BASE, "status": "pre_hire", "hire_date": "2026-03-15", "hire_rescinded": True}
    stage(hub, "workday", "workers", "person", {"E1": person("E1", **rescinded)})
    resolve(hub)
    evaluate(hub)
    with hub.store.engine.connect() as conn:
        intent = conn.execute(sa.select(outbox).where(outbox.c.action == "cancel")).one()
        ticket = conn.execute(sa.select(tickets).where(tickets.c.key == intent.ticket_key)).one()
    assert intent.cancel_reason and "a sentence someone typed" not in intent.cancel_reason
    sink = RecordingSink(BuiltinConfig(), instance="builtin", store=hub.store)
    sink.reasons = []
    _send(sink, "cancel", ticket, intent, lambda: None)
    assert sink.reasons == [intent.cancel_reason]
