"""Operator decisions (the console's and the CLI's) are stamped with who and when, on the object
and in the operator log, and a decided question cannot be decided again."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from core.approvals import approve, reject
from core.config.hub_config import StreamPolicy
from core.errors import ConfigError
from core.resolve.engine import resolve
from core.resolve.review import open_reviews, resolve_review
from core.store.operator_log import recent
from core.store.quarantine_query import dismiss, open_entries
from core.store.schema import holds, quarantine, snapshot_seen, source_records
from core.store.snapshots import finish_snapshot
from tests.engine.staging import make_hub, person, stage

EVERYONE = {f"E{i:03d}": person(f"E{i:03d}") for i in range(120)}


def _listing(hub: Any, records: dict[str, Any]) -> Any:
    run = stage(hub, "workday", "workers", "person", records, snapshot=True)
    return finish_snapshot(
        hub.store,
        instance="workday",
        stream="workers",
        partition="",
        run_id=run.run_id,
        policy=StreamPolicy(),
    )


def test_a_rejected_mass_change_is_never_applied_and_cannot_be_approved_later(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    empty = _listing(hub, {})
    assert empty.held

    assert reject(hub.store, empty.hold_id, by="dana", note="HR export was cut short")["state"] == "rejected"
    with hub.store.engine.connect() as conn:
        hold = conn.execute(sa.select(holds).where(holds.c.id == empty.hold_id)).one()
        live = conn.scalar(
            sa.select(sa.func.count()).where(
                source_records.c.deleted_at.is_(None), source_records.c.missing_count == 0
            )
        )
        kept_keys = conn.scalar(sa.select(sa.func.count()).select_from(snapshot_seen))
    assert (hold.state, hold.decided_by) == ("rejected", "dana") and hold.decided_at is not None
    assert hold.details["rejection_note"] == "HR export was cut short"
    assert live == 120, "nobody is marked missing by a rejected listing"
    assert kept_keys == 0, "the rejected listing's keys are dropped with it"
    with pytest.raises(ConfigError, match="already rejected by dana"):
        approve(hub.store, hub.config, empty.hold_id, by="sam")
    assert [(a["actor"], a["action"]) for a in recent(hub.store, kind="hold")] == [("dana", "reject")]


def test_the_guard_asks_again_when_the_next_listing_still_trips_it(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    reject(hub.store, _listing(hub, {}).hold_id, by="dana")
    again = _listing(hub, {})
    assert again.held, "a rejection answers one listing, not every later one"


def test_approving_records_who_in_the_operator_log(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    empty = _listing(hub, {})
    approve(hub.store, hub.config, empty.hold_id, by="sam")
    (entry,) = recent(hub.store)
    assert (entry["actor"], entry["action"], entry["subject"]) == ("sam", "approve", f"hold:{empty.hold_id}")
    assert entry["at"].tzinfo is not None


def test_dismissing_a_quarantine_entry_closes_it_once(store_url: str) -> None:
    hub = make_hub(store_url)
    with hub.store.engine.begin() as conn:
        entry_id = conn.execute(
            quarantine.insert().values(
                instance="munis",
                stream="employees",
                record_key="99901",
                field="hire_date",
                reason="date(): text '2019-02-30' is not a real date",
                payload={"EMPNO": "99901"},
                created_at=sa.func.now(),
            )
        ).inserted_primary_key[0]
    assert [e["id"] for e in open_entries(hub.store)] == [entry_id]
    assert dismiss(hub.store, entry_id, by="dana", note="test record")["state"] == "dismissed"
    assert open_entries(hub.store) == []
    with pytest.raises(ConfigError, match=f"quarantine entry {entry_id} is not open"):
        dismiss(hub.store, entry_id, by="sam")
    (logged,) = recent(hub.store, kind="quarantine")
    assert (logged["actor"], logged["detail"]) == ("dana", {"note": "test record"})


def test_resolving_a_review_item_records_who_chose_which_candidate(store_url: str) -> None:
    hub = make_hub(store_url)
    twins = {"W1": person("E1", work_email="pat@city.gov"), "W2": person("E2", upn="pat@city.gov")}
    stage(hub, "workday", "workers", "person", twins)
    resolve(hub)
    stage(hub, "office365", "users", "person", {"u9": {"work_email": "PAT@city.gov"}})
    resolve(hub)
    [item] = open_reviews(hub.store)
    chosen = item["candidates"][1]
    assert resolve_review(hub.store, item["id"], entity_id=chosen, new=False, by="dana") == chosen
    (logged,) = recent(hub.store, kind="review")
    assert (logged["actor"], logged["subject"], logged["detail"]) == (
        "dana",
        f"review:{item['id']}",
        {"entity_id": chosen, "new": False},
    )
    with pytest.raises(ConfigError, match="is not open"):
        resolve_review(hub.store, item["id"], entity_id=None, new=True, by="sam")
    assert len(recent(hub.store, kind="review")) == 1
