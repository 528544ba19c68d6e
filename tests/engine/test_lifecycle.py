"""The lifecycle engine: events from canonical changes, tickets exactly once, corrections followed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.lifecycle.engine import evaluate
from core.pipeline import run_lifecycle
from core.resolve.engine import resolve
from core.store.schema import builtin_tickets, lifecycle_events, outbox
from core.testing.sink_kit import leases_expired
from core.tickets.outbox import deliver
from core.tickets.query import list_tickets
from tests.engine.staging import make_hub, person, set_today, stage


@pytest.fixture
def hub(store_url: str):
    set_today("2026-03-01")
    hub = make_hub(store_url)
    yield hub
    hub.close()


def _sync(hub, fields: dict) -> dict:
    """Stage the Workday view of people (by employee ID) and run the lifecycle as the DAG would."""
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {k: (person(k, **v) if v is not None else None) for k, v in fields.items()},
    )
    return run_lifecycle(hub)


def _tickets(hub, employee_id: str) -> list[dict]:
    return list_tickets(hub.store, employee_id=employee_id)


def test_a_hire_opens_one_onboarding_ticket_due_on_the_start_date(hub) -> None:
    _sync(hub, {"E9001": {"status": "pre_hire", "hire_date": "2026-03-15", "upn": None}})
    [ticket] = _tickets(hub, "E9001")
    assert (ticket["type"], ticket["state"], ticket["due"], ticket["priority"]) == (
        "onboarding",
        "open",
        "2026-03-15",
        "normal",
    )
    assert ticket["external_id"].startswith("HUB") and ticket["sink"] == "builtin"
    assert any("laptop" in t["title"] for t in ticket["tasks"])
    _sync(hub, {"E9001": {"status": "pre_hire", "hire_date": "2026-03-15"}})
    assert len(_tickets(hub, "E9001")) == 1


def test_existing_staff_on_the_initial_load_open_no_tickets(hub) -> None:
    _sync(hub, {f"E{i}": {"hire_date": "2019-05-01"} for i in range(20)})
    assert list_tickets(hub.store) == []


def test_a_moved_start_date_updates_the_ticket_and_a_rescind_cancels_it(hub) -> None:
    _sync(hub, {"E1": {"status": "pre_hire", "hire_date": "2026-03-15"}})
    _sync(hub, {"E1": {"status": "pre_hire", "hire_date": "2026-03-22"}})
    [ticket] = _tickets(hub, "E1")
    assert ticket["due"] == "2026-03-22" and ticket["state"] == "open"
    _sync(hub, {"E1": {"status": "pre_hire", "hire_date": "2026-03-22", "hire_rescinded": True}})
    [ticket] = _tickets(hub, "E1")
    assert ticket["state"] == "cancelled"
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(builtin_tickets.c.state)) == "cancelled", (
            "the sink received the cancellation"
        )


def test_a_future_termination_lists_the_real_footprint_and_follows_date_moves(hub) -> None:
    _sync(hub, {"E5": {"hire_date": "2018-01-01", "work_email": "lee@city.gov"}})
    stage(
        hub,
        "office365",
        "users",
        "account",
        {
            "u5": {
                "system": "entra",
                "external_id": "u5",
                "login": "lee@city.gov",
                "enabled": True,
                "licences": ["ENTERPRISEPACK"],
            }
        },
    )
    stage(
        hub,
        "munis",
        "fixed_assets",
        "asset",
        {
            "A7": {
                "asset_tag": "A-0007",
                "serial_number": "SN777",
                "custodian_employee_id": "E5",
                "status": "in_use",
            }
        },
    )
    stage(
        hub,
        "aws",
        "iam_users",
        "account",
        {
            "arn:u": {
                "system": "aws_iam",
                "external_id": "arn:u",
                "login": "lee",
                "owner_ref": "E5",
                "cloud_account_id": "111122223333",
                "access_keys": [{"id": "AKIA1", "status": "Active"}],
            }
        },
    )
    _sync(
        hub,
        {"E5": {"hire_date": "2018-01-01", "work_email": "lee@city.gov", "termination_date": "2026-06-30"}},
    )
    [ticket] = _tickets(hub, "E5")
    titles = " | ".join(t["title"] for t in ticket["tasks"])
    assert (ticket["type"], ticket["due"], ticket["priority"]) == ("offboarding", "2026-06-30", "normal")
    for expected in (
        "lee@city.gov",
        "ENTERPRISEPACK",
        "A-0007",
        "SN777",
        "IAM user lee",
        "AKIA1",
        "111122223333",
    ):
        assert expected in titles
    _sync(
        hub,
        {"E5": {"hire_date": "2018-01-01", "work_email": "lee@city.gov", "termination_date": "2026-07-15"}},
    )
    [ticket] = _tickets(hub, "E5")
    assert ticket["due"] == "2026-07-15"
    _sync(hub, {"E5": {"hire_date": "2018-01-01", "work_email": "lee@city.gov", "termination_date": None}})
    assert _tickets(hub, "E5")[0]["state"] == "cancelled", "a reversed termination cancels its offboarding"


def test_an_immediate_termination_is_urgent_with_a_four_hour_deadline(hub) -> None:
    _sync(hub, {"E6": {"hire_date": "2018-01-01"}})
    _sync(hub, {"E6": {"hire_date": "2018-01-01", "status": "terminated", "termination_date": "2026-03-01"}})
    [ticket] = _tickets(hub, "E6")
    assert ticket["priority"] == "urgent" and ticket["due_at"] == "2026-03-01T04:00:00-06:00"


def test_a_termination_in_honolulu_takes_effect_on_the_local_day(hub) -> None:
    _sync(hub, {"E7": {"hire_date": "2018-01-01", "time_zone": "Pacific/Honolulu"}})
    _sync(
        hub,
        {
            "E7": {
                "hire_date": "2018-01-01",
                "time_zone": "Pacific/Honolulu",
                "termination_date": "2026-03-20",
            }
        },
    )
    [ticket] = _tickets(hub, "E7")
    assert ticket["due"] == "2026-03-20" and ticket["time_zone"] == "Pacific/Honolulu"
    assert ticket["due_at"] == "2026-03-20T04:00:00-10:00"


def test_rehire_transfer_leave_and_conversion_are_changes_of_the_same_person(hub) -> None:
    base = {"hire_date": "2018-01-01"}
    _sync(hub, {"E8": base, "E9": base, "C10": {**base, "worker_type": "contractor"}})
    _sync(hub, {"E8": {**base, "status": "terminated", "termination_date": "2026-02-27"}})
    _sync(hub, {"E8": {"hire_date": "2026-04-01", "status": "pre_hire", "termination_date": None}})
    tickets = _tickets(hub, "E8")
    assert [(t["type"], t["due"], t["priority"]) for t in tickets] == [
        ("offboarding", "2026-02-27", "urgent"),
        ("onboarding", "2026-04-01", "normal"),
    ]
    assert "Reactivate" in tickets[1]["tasks"][0]["title"], "a rehire reactivates rather than creates"
    _sync(hub, {"E9": {**base, "org_unit": "IT", "manager_employee_id": "E1"}})
    [transfer] = _tickets(hub, "E9")
    assert transfer["type"] == "transfer" and any("FIN" in t["title"] for t in transfer["tasks"])
    _sync(hub, {"E9": {**base, "org_unit": "IT", "manager_employee_id": "E1", "status": "on_leave"}})
    _sync(hub, {"E9": {**base, "org_unit": "IT", "manager_employee_id": "E1", "status": "active"}})
    assert len(_tickets(hub, "E9")) == 1, "leave of absence is neither a leaver nor a joiner"
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"E10": person("E10", hire_date="2018-01-01", previous_employee_id="C10")},
    )
    run_lifecycle(hub)
    assert [t["type"] for t in _tickets(hub, "C10") + _tickets(hub, "E10")] == ["transfer"]
    with hub.store.engine.connect() as conn:
        events = sorted(r.event_type for r in conn.execute(sa.select(lifecycle_events.c.event_type)))
    assert events == ["conversion", "leave_return", "leave_start", "leaver", "mover", "rehire"]


def test_a_ticket_storm_is_held_until_approved(hub) -> None:
    result = _sync(hub, {f"E{i}": {"status": "pre_hire", "hire_date": "2026-03-20"} for i in range(60)})
    assert result["lifecycle"]["held"] and list_tickets(hub.store) == []
    from core.approvals import approve
    from core.status import open_holds

    [hold] = open_holds(hub.store)
    approve(hub.store, hub.config, hold["id"])
    run_lifecycle(hub)
    assert len(list_tickets(hub.store)) == 60


def test_plan_changes_nothing(hub) -> None:
    stage(
        hub, "workday", "workers", "person", {"E1": person("E1", status="pre_hire", hire_date="2026-03-10")}
    )
    resolve(hub)
    planned = evaluate(hub, dry_run=True)
    assert [a.action for a in planned.actions] == ["create"]
    assert list_tickets(hub.store) == []
    assert [a.action for a in evaluate(hub).actions] == ["create"]


def test_a_crash_between_remote_create_and_local_record_still_yields_one_ticket(hub) -> None:
    stage(
        hub, "workday", "workers", "person", {"E1": person("E1", status="pre_hire", hire_date="2026-03-10")}
    )
    resolve(hub)
    evaluate(hub)

    def crash(key: str) -> None:
        raise SystemExit("worker killed after the sink answered")

    with pytest.raises(SystemExit):
        deliver(hub, after_remote=crash)
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(outbox.c.state)) == "pending"
    assert deliver(hub).delivered == 0, "the killed worker's lease still holds the intent"
    with leases_expired(hub):
        assert deliver(hub).reclaimed == 1
    deliver(hub)
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(builtin_tickets)) == 1
        assert conn.scalar(sa.select(outbox.c.state)) == "delivered"
    assert _tickets(hub, "E1")[0]["external_id"] == "HUB000001"


def _events(hub, person_key: str) -> list[tuple[str, int, str, str]]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(lifecycle_events)
            .where(lifecycle_events.c.employee_id == person_key)
            .order_by(lifecycle_events.c.detected_at)
        ).all()
    return [(r.event_type, r.employment, r.identity, r.state) for r in rows]


def test_event_states_and_keys_follow_employments(hub) -> None:
    from core.tickets.builtin_sink import BuiltinConfig, BuiltinSink

    base = {"hire_date": "2018-01-01"}
    _sync(hub, {"E3": base})
    _sync(hub, {"E3": {**base, "termination_date": "2026-03-20"}})
    _sync(hub, {"E3": {**base, "termination_reversed": True}})
    _sync(hub, {"E3": {**base, "termination_date": "2026-03-20"}})  # entered again, same date
    keys = [(t["key"], t["state"]) for t in _tickets(hub, "E3")]
    assert keys == [("E3:e1:leaver:2026-03-20", "cancelled"), ("E3:e1:leaver:2026-03-20:r2", "open")]
    BuiltinSink(BuiltinConfig(), instance="builtin", store=hub.store).set_state(
        _tickets(hub, "E3")[1]["external_id"], "closed"
    )
    _sync(hub, {"E3": {**base, "termination_date": "2026-03-20"}})  # reads the desk's close back
    _sync(hub, {"E3": {**base, "status": "pre_hire", "hire_date": "2026-04-06", "termination_date": None}})
    assert _events(hub, "E3") == [
        ("leaver", 1, "leaver-e1-2026-03-20", "cancelled"),
        ("leaver", 1, "leaver-e1-2026-03-20-r2", "done"),
        ("rehire", 2, "rehire-e2-2026-04-06", "ticketed"),
    ]
    assert _tickets(hub, "E3")[-1]["key"] == "E3:e2:rehire:2026-04-06"
