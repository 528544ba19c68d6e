"""The ServiceNow sink against its sandbox: what lands in the instance, auth modes, ACLs, limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.servicenow.config import ServiceNowConfig
from connectors.servicenow.sandbox import ServiceNowSandbox
from connectors.servicenow.sink import ServiceNowSink
from core.errors import AuthError, ConfigError, FatalError, TransientError
from core.sandbox.faults import ExpireTokens
from core.testing.sink_kit import sample_ticket, unique_key

MakeSink = Callable[..., ServiceNowSink]


def test_a_ticket_lands_as_an_incident_with_group_urgency_key_and_tasks(
    sandbox: ServiceNowSandbox, make_sink: MakeSink
) -> None:
    key = unique_key("leaver")
    ticket = {**sample_ticket(key), "priority": "urgent", "assignment_group": "Identity & Access Management"}
    created = make_sink().create(ticket)  # type: ignore[arg-type]
    record = sandbox.store.tables["incident"][created["external_id"]]
    group = sandbox.store.query("sys_user_group", "name=Identity & Access Management")[0]
    assert record["number"].startswith("INC")
    assert (record["correlation_id"], record["correlation_display"]) == (key, "itsm-hub")
    assert record["assignment_group"] == group["sys_id"]
    assert (record["urgency"], record["impact"], record["priority"]) == ("1", "2", "2")
    assert record["due_date"] == "2031-03-14 17:00:00", "due_date is written in UTC"
    assert "Employee ID: E" in record["description"] and "- Collect laptop SN-40213" in record["description"]
    tasks = sandbox.store.query("incident_task", f"incident={record['sys_id']}")
    assert sorted(t["short_description"] for t in tasks) == [
        "Collect laptop SN-40213",
        "Disable directory account",
    ]
    assert created["url"].endswith(f"/incident.do?sys_id={record['sys_id']}")


def test_tickets_of_other_integrations_are_never_taken_for_the_hubs(make_sink: MakeSink) -> None:
    assert make_sink().find("MON-40000") is None, "a Monitoring incident with that correlation_id exists"


def test_resolved_reads_as_closed_and_a_desk_cancel_as_cancelled(
    sandbox: ServiceNowSandbox, make_sink: MakeSink
) -> None:
    sink = make_sink()
    resolved, cancelled = (sink.create(sample_ticket(unique_key("leaver"))) for _ in range(2))
    sandbox.admin("resolve_ticket", {"external_id": resolved["external_id"]})
    sandbox.admin("cancel_ticket", {"external_id": cancelled["external_id"]})
    assert sink.fetch_status(resolved["external_id"])["state"] == "closed"
    assert sink.fetch_status(cancelled["external_id"])["state"] == "cancelled"
    assert sink.cancel(resolved["external_id"], "too late")["state"] == "closed", (
        "cancel never undoes a close"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"auth": "basic"},
        {"auth": "oauth_client_credentials", "username": None, "password": None},
        {"auth": "oauth_password"},
    ],
    ids=["basic", "oauth_client_credentials", "oauth_password"],
)
def test_every_auth_mode_reaches_the_table_api(make_sink: MakeSink, overrides: dict[str, object]) -> None:
    sink = make_sink(**overrides)
    assert sink.check().ok
    key = unique_key("mover")
    assert sink.find(key) is None
    assert sink.create(sample_ticket(key))["state"] == "open"


def test_an_expired_oauth_token_is_renewed_once(sandbox: ServiceNowSandbox, make_sink: MakeSink) -> None:
    sink = make_sink()
    sink.find(unique_key("warmup"))
    sandbox.arm(ExpireTokens(path=r"^/api/now/table/incident$"))
    assert sink.find(unique_key("after-expiry")) is None


def test_rejected_oauth_client_says_where_to_look_without_the_secret(make_sink: MakeSink) -> None:
    sink = make_sink(client_secret="not-the-secret")
    with pytest.raises(AuthError, match="Application Registry") as caught:
        sink.find(unique_key("auth"))
    assert "not-the-secret" not in str(caught.value)


def test_a_read_only_user_is_told_the_acl_refused_the_insert(make_sink: MakeSink) -> None:
    sink = make_sink(auth="basic", username="svc_readonly", password="Sbx-read-pass-7!")
    assert sink.check().ok, "reading is allowed"
    with pytest.raises(AuthError, match="ACL Exception Insert Failed") as caught:
        sink.create(sample_ticket(unique_key("leaver")))
    assert "Sbx-read-pass-7!" not in str(caught.value)


def test_an_unknown_or_inactive_assignment_group_is_a_config_error(make_sink: MakeSink) -> None:
    sink = make_sink()
    for group in ("Night Shift", "Retired Helpdesk"):
        ticket = {**sample_ticket(unique_key("leaver")), "assignment_group": group}
        with pytest.raises(ConfigError, match=group):
            sink.create(ticket)  # type: ignore[arg-type]


def test_an_hourly_rate_limit_rule_fails_the_delivery_resumably(
    sandbox: ServiceNowSandbox, make_sink: MakeSink
) -> None:
    sink = make_sink(auth="basic")
    sandbox.admin("set_rate_limit", {"per_hour": 2})
    sink.find(unique_key("a"))
    sink.find(unique_key("b"))
    with pytest.raises(TransientError, match="asked to wait") as caught:
        sink.find(unique_key("c"))
    assert caught.value.retry_after is not None and caught.value.retry_after > 300


def test_keys_correlation_id_cannot_hold_are_refused(make_sink: MakeSink) -> None:
    sink = make_sink()
    for key in ("E1:leaver^active=true", "E1:" + "x" * 100):
        with pytest.raises(FatalError, match="correlation_id"):
            sink.find(key)


def test_config_names_missing_credentials_and_custom_tables_need_their_task_table(
    sandbox: ServiceNowSandbox,
) -> None:
    base = sandbox.instance_config()
    with pytest.raises(ValidationError, match="needs client_id, client_secret"):
        ServiceNowConfig.model_validate(
            {**base, "auth": "oauth_client_credentials", "client_id": None, "client_secret": None}
        )
    with pytest.raises(ConfigError, match="task_table"):
        ServiceNowSink(ServiceNowConfig.model_validate({**base, "table": "u_hr_case"}), instance="sn")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="^"), min_size=1, max_size=100
    ).filter(lambda k: k.strip() == k)
)
def test_any_storable_key_is_found_again_exactly(make_sink: MakeSink, key: str) -> None:
    sink = make_sink()
    found = sink.find(key)
    ticket = found or sink.create({**sample_ticket("E1:x:2031-01-01"), "key": key})
    again = sink.find(key)
    assert again is not None and again["external_id"] == ticket["external_id"]
    assert sink.find(f"{key[:60]}-{uuid.uuid4().hex}") is None, "a longer key must not match"


def test_when_duplicates_already_exist_find_settles_on_the_oldest(
    sandbox: ServiceNowSandbox, make_sink: MakeSink
) -> None:
    key = unique_key("leaver")
    with sandbox.lock:  # e.g. an operator copied the incident, correlation ID included
        first, second = (
            sandbox.store.insert(
                "incident",
                {"correlation_id": key, "correlation_display": "itsm-hub", "short_description": n},
                "admin",
            )
            for n in ("original", "copy")
        )
    found = make_sink().find(key)
    assert found is not None and found["external_id"] == first["sys_id"] != second["sys_id"]
