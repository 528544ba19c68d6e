"""The users stream follows Graph's delta query: a first round pages to a delta link, later rounds
read only what changed, removals become deletions, and a refused token starts over once."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from connectors.office365.streams import USER_SELECT
from core import clock
from core.errors import TransientError
from core.sandbox import fake_clock
from core.sandbox.org import roster

Connector = Callable[..., Office365Connector]


@pytest.fixture
def restore_clock() -> Iterator[None]:
    yield
    fake_clock.set_now(None)


def users_stream(make_connector: Connector):
    connector = make_connector()
    return connector, connector.stream("users")


def test_first_round_pages_through_next_links_to_a_delta_link(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    _, users = users_stream(make_connector)
    first = read(users)

    ids = [r["id"] for r in first.records]
    assert len(ids) == len(set(ids)) == tenant.counts()["users"]
    assert all(set(USER_SELECT) <= set(r) for r in first.records), (
        "initial records carry every selected field"
    )
    *pages, last = first.checkpoints
    assert len(pages) == -(-len(tenant.tenant.order) // tenant.delta_page_size) - 1, (
        "one checkpoint per delta page"
    )
    assert all("/users/delta?$skiptoken=" in p["next_link"] and p["phase"] == "initial" for p in pages)
    assert set(last) == {"delta_link"} and "$deltatoken=" in last["delta_link"]
    assert first.snapshots == ["started", "completed"], "an initial round lists every live user"


def test_accounts_follow_the_roster(tenant: Office365Sandbox, make_connector: Connector, read) -> None:
    _, users = users_stream(make_connector)
    accounts = read(users).by("userPrincipalName", fold=True)
    people = roster(tenant.seed, tenant.scale)
    for person in people:
        account = accounts.get(person.email)
        if person.status == "pre_hire":
            assert account is None, f"{person.employee_id} has an account before the hire"
            continue
        assert account is not None, f"{person.employee_id} ({person.status}) has no account"
        assert str(account["employeeId"]).strip().upper() in (person.employee_id, "TEMP")
        if person.status in ("active", "on_leave"):
            assert account["accountEnabled"] is True
    terminated = [accounts[p.email] for p in people if p.status == "terminated"]
    assert sum(a["accountEnabled"] for a in terminated) == 1, "one leaver's account was left enabled"
    service = [a for a in accounts.values() if a["employeeId"] is None]
    assert {a["userPrincipalName"].split("@")[0] for a in service} >= {"svc-scan2mail", "svc-backup"}
    assert any(a["userType"] == "Guest" for a in service)
    assert any(upn != a["userPrincipalName"] for upn, a in accounts.items()), "a mixed-case UPN exists"


def test_later_rounds_read_only_the_changed_users_complete(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    connector, users = users_stream(make_connector)
    state = read(users).state
    people = [p for p in roster(tenant.seed, tenant.scale) if p.status == "active" and p.index >= 8]
    tenant.admin("update_user", {"user": people[0].employee_id, "changes": {"jobTitle": "Budget Manager"}})
    tenant.admin("disable_user", {"user": people[1].employee_id})
    tenant.admin("assign_licence", {"user": people[2].employee_id, "sku": "VISIOCLIENT_GOV"})
    created = tenant.admin(
        "create_user", {"user_principal_name": "noa.kahananui@agency.example.gov", "employee_id": "E90001"}
    )
    before = connector.client.http.request_count

    second = read(users, state)

    changed = {r["id"]: r for r in second.records}
    assert len(changed) == 4 and not second.deleted
    by_employee = {str(r["employeeId"]).strip(): r for r in second.records}
    assert by_employee[people[0].employee_id]["jobTitle"] == "Budget Manager"
    assert by_employee[people[1].employee_id]["accountEnabled"] is False
    assert "4ae99959-6b0f-43b0-b1ce-68146001bdba" in [
        lic["skuId"] for lic in by_employee[people[2].employee_id]["assignedLicenses"]
    ]
    assert created["id"] in changed
    assert all(set(USER_SELECT) <= set(r) for r in second.records), "partial delta entries are read in full"
    assert connector.client.http.request_count - before == 2, "one delta page and one $batch"
    assert read(users, second.state).records == [], "nothing changed since"


def test_removed_users_become_deletions_soft_or_permanent(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    _, users = users_stream(make_connector)
    first = read(users)
    soft = tenant.admin("delete_user", {"user": "E10009"})["id"]
    hard = tenant.admin("delete_user", {"user": "E10010", "permanent": True})["id"]

    second = read(users, first.state)

    removed = {d.key: d for d in second.deleted}
    assert set(removed) == {soft, hard} and not second.records
    assert (removed[soft].permanent, removed[soft].reason) == (False, "changed")
    assert (removed[hard].permanent, removed[hard].reason) == (True, "deleted")

    tenant.admin("restore_user", {"user": soft})
    third = read(users, second.state)
    assert [r["id"] for r in third.records] == [soft] and not third.deleted


def test_an_interrupted_first_round_resumes_from_its_next_link(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    _, users = users_stream(make_connector)
    full = read(users)
    items = iter(users.read(None, {}))
    head: list[str] = []
    state = None
    for item in items:
        if isinstance(item, dict):
            head.append(item["id"])
        elif hasattr(item, "state") and "next_link" in item.state and len(head) > 10:
            state = item.state
            break
    assert state is not None

    tail = read(users, state)

    assert set(head) | {r["id"] for r in tail.records} == {r["id"] for r in full.records}
    assert "delta_link" in (tail.state or {})
    assert tail.snapshots == ["completed"], "the resumed round continues the snapshot the first run began"


def test_a_token_refused_after_tenant_maintenance_resyncs_once(
    tenant: Office365Sandbox,
    make_connector: Connector,
    read,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, users = users_stream(make_connector)
    state = read(users).state
    tenant.admin("expire_delta_tokens", {})

    with caplog.at_level(logging.WARNING, logger="hub.office365"):
        again = read(users, state)

    warnings = [r.getMessage() for r in caplog.records if "full resync" in r.getMessage()]
    assert len(warnings) == 1 and "410" in warnings[0]
    assert len(again.records) == tenant.counts()["users"]
    assert again.snapshots == ["started", "completed"], "the resync is a complete listing"
    later = read(users, again.state)
    assert later.records == [] and later.snapshots == [], (
        "the new delta link works; a delta round lists changes only"
    )


def test_a_delta_token_older_than_seven_days_resyncs(
    tenant: Office365Sandbox,
    make_connector: Connector,
    read,
    restore_clock: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, users = users_stream(make_connector)
    state = read(users).state
    fake_clock.set_now(clock.now() + timedelta(days=8))

    with caplog.at_level(logging.WARNING, logger="hub.office365"):
        again = read(users, state)

    assert any("syncStateNotFound" in r.getMessage() for r in caplog.records)
    assert len(again.records) == tenant.counts()["users"]


def test_many_changed_users_are_read_in_batches_of_twenty(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    connector, users = users_stream(make_connector)
    state = read(users).state
    tenant.delta_page_size = 100
    live = [u for u in tenant.tenant.live_ids()][:33]
    for n, user_id in enumerate(live):
        tenant.admin("update_user", {"user": user_id, "changes": {"officeLocation": f"Annex room {n}"}})
    before = connector.client.http.request_count

    second = read(users, state)

    assert {r["id"] for r in second.records} == set(live)
    assert all(r["officeLocation"].startswith("Annex room") for r in second.records)
    assert connector.client.http.request_count - before == 3, "one delta page, then $batch of 20 and of 13"


def test_throttled_batch_items_are_retried_after_retry_after(
    tenant: Office365Sandbox,
    make_connector: Connector,
    read,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, users = users_stream(make_connector)
    state = read(users).state
    tenant.delta_page_size = 100
    live = tenant.tenant.live_ids()[:12]
    for user_id in live:
        tenant.admin("update_user", {"user": user_id, "changes": {"jobTitle": "Analyst II"}})
    tenant.admin("set_throttle", {"capacity": 5, "per_second": 4})

    with caplog.at_level(logging.INFO, logger="hub.office365"):
        second = read(users, state)

    assert {r["id"] for r in second.records} == set(live)
    assert all(r["jobTitle"] == "Analyst II" for r in second.records)
    assert any("throttled" in r.getMessage() for r in caplog.records), "some items were answered 429"


def test_batch_items_throttled_for_longer_than_the_policy_waits_fail_resumably(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    """The `$batch` items follow the shared retry policy (`RetryPolicy.wait_before_retry`): a
    Retry-After beyond `max_retry_after` is not waited out in-process but ends the read with a
    resumable error carrying the wait, as any other throttled request does."""
    _, users = users_stream(make_connector)
    state = read(users).state
    tenant.delta_page_size = 100
    for user_id in tenant.tenant.live_ids()[:12]:
        tenant.admin("update_user", {"user": user_id, "changes": {"jobTitle": "Analyst III"}})
    tenant.admin("set_throttle", {"capacity": 2, "per_second": 0.0005})

    with pytest.raises(TransientError) as caught:
        read(users, state)

    message = str(caught.value)
    assert re.match(
        r"office365: \d+ \$batch item\(s\) throttled or unavailable; server asked to wait", message
    )
    assert caught.value.retry_after is not None and caught.value.retry_after > 300


def test_a_saved_link_to_a_host_no_longer_served_asks_for_a_full_refresh(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    """After `make up` restarted the sandbox elsewhere (or a tenant's endpoint moved), following
    the old link would fail on every retry as a "transient" error; it is a config error that
    gives the command to start over."""
    from urllib.parse import urlsplit

    from core.errors import ConfigError

    _, users = users_stream(make_connector)
    saved = read(users).checkpoints[-1]["delta_link"]
    origin = urlsplit(saved)
    moved = saved.replace(origin.netloc, f"{origin.hostname}:{(origin.port or 443) + 1}")
    with pytest.raises(ConfigError) as refused:
        read(users, {"delta_link": moved})
    assert "now reads" in refused.value.message
    assert refused.value.hint and "--stream users --full-refresh" in refused.value.hint
    assert read(users, {"delta_link": saved}).records == [], "the link it still serves is followed"
