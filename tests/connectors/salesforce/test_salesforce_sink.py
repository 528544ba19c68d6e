"""The Salesforce sink against the sandbox org over HTTPS, through the real simple-salesforce."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.salesforce.client import CaseNotFound
from connectors.salesforce.sandbox import CLIENT_SECRET, SalesforceSandbox
from connectors.salesforce.sink import SalesforceSink
from core.connector.sink import TicketPayload
from core.errors import AuthError, ConfigError, RecordError, TransientError
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import ExpireTokens, ServerError

Sinks = Callable[..., SalesforceSink]
Tickets = Callable[..., TicketPayload]


@pytest.fixture
def fresh_org(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[SalesforceSandbox]:
    """A sandbox of its own, for tests that damage the org (duplicates, exhausted quota)."""
    sandbox = SalesforceSandbox(seed=3, scale=5, ca=sandbox_ca, workdir=tmp_path / "sf")
    with sandbox:
        yield sandbox


def test_a_ticket_becomes_one_case_with_checklist_due_priority_and_queue(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    ticket = new_ticket(priority="urgent")
    created = sink.create(ticket)
    case = org.admin("case", {"key": ticket["key"]})
    assert created == {
        "external_id": case["Id"],
        "state": "open",
        "url": f"{org.url}/lightning/r/Case/{case['Id']}/view",
    }
    assert (case["Subject"], case["Priority"], case["Status"]) == (ticket["title"], "High", "New")
    assert case["Hub_Due__c"] == "2026-04-06T13:00:00.000+0000", "due is sent in UTC"
    assert case["OwnerId"] == "00GSb000000DeskAAA", "the assignment group routes to its queue"
    assert "[ ] Create directory account\n[ ] Issue laptop AT-100042" in case["Description"]
    assert f"Hub key: {ticket['key']}" in case["Description"]
    assert sink.find(ticket["key"]) == created


def test_creating_a_known_key_again_updates_that_case_and_reports_its_real_state(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    ticket = new_ticket()
    first = sink.create(ticket)
    org.admin("start_case", {"key": ticket["key"]})
    again = sink.create({**ticket, "title": ticket["title"] + " (start moved)"})
    assert again["external_id"] == first["external_id"]
    assert again["state"] == "in_progress", "a redelivery must not pretend the desk's Case is new"
    assert org.admin("tickets_with_key", {"key": ticket["key"]}) == 1
    assert org.admin("case", {"key": ticket["key"]})["Status"] == "Working", "the upsert left Status alone"


def test_statuses_read_back_through_the_map_then_the_closed_flag(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    created = sink.create(new_ticket())
    case_id = created["external_id"]
    org.admin("close_case", {"id": case_id, "status": "Escalated"})
    assert sink.fetch_status(case_id)["state"] == "in_progress"
    org.admin("resolve_case", {"id": case_id})  # "Resolved" is not mapped, but IsClosed is true
    assert sink.fetch_status(case_id)["state"] == "closed"
    updated = sink.update(case_id, new_ticket(due="2026-04-13T08:00:00-05:00"))
    assert updated["state"] == "closed", "an update never reopens what the desk resolved"


def test_cancel_sets_the_cancel_status_and_leaves_the_reason_as_an_internal_comment(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    case_id = sink.create(new_ticket())["external_id"]
    assert sink.cancel(case_id, "hire rescinded in Workday")["state"] == "cancelled"
    case = org.admin("case", {"id": case_id})
    assert (case["Status"], case["IsClosed"]) == ("Cancelled", True)
    assert case["comments"] == ["Cancelled by the hub: hire rescinded in Workday"]

    done = sink.create(new_ticket())["external_id"]
    org.admin("close_case", {"id": done})
    assert sink.cancel(done, "termination reversed")["state"] == "closed", "finished work stays closed"
    assert org.admin("case", {"id": done})["comments"] == ["Cancelled by the hub: termination reversed"]


def test_an_expired_session_is_refreshed_once_and_the_call_goes_through(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    ticket = new_ticket()
    sink.find(ticket["key"])
    org.arm(ExpireTokens(path=r"/sobjects/Case/", times=1))
    assert sink.create(ticket)["state"] == "open"
    assert sink.client._token_http.request_count == 2, "exactly one new token"
    assert org.admin("tickets_with_key", {"key": ticket["key"]}) == 1


def test_a_session_refused_right_after_a_new_token_is_an_auth_error(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    sink.find(new_ticket()["key"])
    org.arm(ExpireTokens(path=r"/sobjects/Case/", times=2))
    with pytest.raises(AuthError, match="INVALID_SESSION_ID") as caught:
        sink.find(new_ticket()["key"])
    assert "API Enabled" in str(caught.value)


def test_a_rejected_client_secret_fails_cleanly_without_showing_it(
    make_sink: Sinks, new_ticket: Tickets
) -> None:
    sink = make_sink(client_secret="not-the-consumer-secret")
    result = sink.check()
    assert not result.ok
    assert "invalid_client" in result.message and "Run As" in result.message
    with pytest.raises(AuthError) as caught:
        sink.find(new_ticket()["key"])
    for text in (result.message, str(caught.value)):
        assert "not-the-consumer-secret" not in text and CLIENT_SECRET not in text


def test_check_names_every_setup_problem(make_sink: Sinks) -> None:
    assert make_sink().check().ok
    result = make_sink(cancelled_status="Void", due_field="Due_Moment__c").check()
    assert not result.ok
    assert "no field Due_Moment__c" in result.message
    assert "no active value 'Void'" in result.message


def test_org_setup_errors_are_config_errors_that_point_at_the_readme(
    make_sink: Sinks, new_ticket: Tickets
) -> None:
    with pytest.raises(ConfigError, match="Employee_Key__c"):
        make_sink(external_id_field="Employee_Key__c").find(new_ticket()["key"])
    sink = make_sink(cancelled_status="Void")
    case_id = sink.create(new_ticket())["external_id"]
    with pytest.raises(ConfigError, match="restricted picklist") as caught:
        sink.cancel(case_id, "rescinded")
    assert "README step 2" in str(caught.value)


def test_a_key_carried_by_two_cases_is_a_record_error_naming_the_key(
    fresh_org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    sink = SalesforceSink(
        SalesforceSink.config_model.model_validate(fresh_org.instance_config()), instance="sf"
    )
    ticket = new_ticket()
    sink.create(ticket)
    fresh_org.admin("duplicate_case", {"key": ticket["key"]})
    with pytest.raises(RecordError, match=ticket["key"]) as caught:
        sink.find(ticket["key"])
    assert "Unique" in str(caught.value)
    assert "not marked Unique" in sink.check().message
    sink.close()


def test_the_sink_stops_before_the_org_runs_out_of_daily_api_requests(
    fresh_org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    config = SalesforceSink.config_model.model_validate(fresh_org.instance_config())
    sink = SalesforceSink(config, instance="sf")
    fresh_org.admin("set_api_usage", {"used": 94, "limit": 100})
    assert sink.find(new_ticket()["key"]) is None  # the answer says 95/100
    with pytest.raises(TransientError, match="used 95 of its 100 daily API requests"):
        sink.find(new_ticket()["key"])
    assert fresh_org.api_used == 95, "nothing was sent once the ceiling was reached"

    greedy = SalesforceSink(config.model_copy(update={"api_usage_ceiling": 1.0}), instance="sf")
    fresh_org.admin("set_api_usage", {"used": 100})
    with pytest.raises(TransientError, match="REQUEST_LIMIT_EXCEEDED"):
        greedy.find(new_ticket()["key"])
    sink.close()
    greedy.close()


def test_an_unavailable_org_is_waited_out_and_the_case_created_once(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    ticket = new_ticket()
    sink.find(ticket["key"])
    fault = ServerError(
        path=r"/sobjects/Case/Hub_Key__c/", status=503, retry_after=1, times=2, method="PATCH"
    )
    org.arm(fault)
    assert sink.create(ticket)["state"] == "open"
    assert fault.times == 0
    assert org.admin("tickets_with_key", {"key": ticket["key"]}) == 1


def test_a_case_deleted_in_salesforce_fails_only_that_ticket(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    gone = sink.create(new_ticket())["external_id"]
    kept = sink.create(new_ticket())["external_id"]
    org.admin("delete_case", {"id": gone})
    with pytest.raises(CaseNotFound, match=gone):
        sink.fetch_status(gone)
    assert sink.fetch_status(kept)["state"] == "open"


def test_many_statuses_are_one_soql_query_and_a_deleted_case_fails_only_its_ticket(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    ids = [sink.create(new_ticket())["external_id"] for _ in range(6)]
    org.admin("start_case", {"id": ids[1]})
    org.admin("resolve_case", {"id": ids[2]})
    org.admin("delete_case", {"id": ids[3]})
    calls = org.api_used

    states = sink.fetch_statuses(ids)

    assert org.api_used - calls == 1, "one query, not one call per Case"
    assert [states[i]["state"] for i in ids if i != ids[3]] == [
        "open",
        "in_progress",
        "closed",
        "open",
        "open",
    ]
    assert isinstance(states[ids[3]], CaseNotFound) and ids[3] in str(states[ids[3]])
    assert states[ids[0]]["url"].endswith(f"/lightning/r/Case/{ids[0]}/view")


def test_long_texts_are_cut_to_the_case_field_limits_keeping_the_checklist(
    sink: SalesforceSink, org: SalesforceSandbox, new_ticket: Tickets
) -> None:
    ticket = new_ticket(title="Onboard " + "Ñ" * 400, description="Footprint: " + "x" * 40_000)
    sink.create(ticket)
    case = org.admin("case", {"key": ticket["key"]})
    assert len(case["Subject"]) == 255 and case["Subject"].endswith("…")
    assert len(case["Description"]) <= 32_000
    assert case["Description"].endswith(f"Hub key: {ticket['key']}")
    assert "[ ] Issue laptop AT-100042" in case["Description"]


def test_tls_is_verified_against_the_configured_ca_only(make_sink: Sinks) -> None:
    result = make_sink(ca_bundle=None, max_retries=0).check()
    assert not result.ok and "SSLError" in result.message


def test_an_unresolvable_secret_reference_is_reported_by_check(
    make_sink: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_TEST_SF_SECRET", raising=False)
    result = make_sink(client_secret={"env": "HUB_TEST_SF_SECRET"}).check()
    assert not result.ok and "HUB_TEST_SF_SECRET is not set" in result.message


def test_creating_with_a_missing_key_field_is_a_setup_error_not_a_missing_case(
    make_sink: Sinks, new_ticket: Tickets
) -> None:
    with pytest.raises(ConfigError, match="Provided external ID field does not exist") as caught:
        make_sink(external_id_field="Employee_Key__c").create(new_ticket())
    assert "External ID field on Case" in str(caught.value)
