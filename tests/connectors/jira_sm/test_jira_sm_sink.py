"""The Jira Service Management sink against its sandbox: requests, keys, workflow, limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.jira_sm.client import adf_text
from connectors.jira_sm.sandbox import JiraSandbox
from connectors.jira_sm.sink import JiraServiceManagementSink
from core.errors import FatalError
from core.http.client import HttpStatusError
from core.testing.sink_kit import sample_ticket, unique_key

MakeSink = Callable[..., JiraServiceManagementSink]
CUSTOM = {"key_field": "customfield_10050"}


def test_a_ticket_lands_as_a_request_with_key_label_due_date_priority_and_subtasks(
    sandbox: JiraSandbox, make_sink: MakeSink
) -> None:
    key = unique_key("leaver")
    created = make_sink().create({**sample_ticket(key), "priority": "urgent"})
    issue = sandbox.issues[created["external_id"]]
    assert issue.labels == [f"hub-{key}"]
    assert (issue.duedate, issue.priority, issue.status) == ("2031-03-14", "2", "Waiting for support")
    assert "- Collect laptop SN-40213" in adf_text(issue.description)
    assert [sandbox.issues[s].summary for s in issue.subtasks] == [
        "Disable directory account",
        "Collect laptop SN-40213",
    ]
    assert created["url"] == f"{sandbox.url}/browse/{issue.key}"


def test_a_text_custom_field_can_hold_the_key_and_near_misses_are_filtered_out(
    sandbox: JiraSandbox, make_sink: MakeSink
) -> None:
    sink = make_sink(**CUSTOM)
    key = unique_key("leaver")
    longer = sink.create(sample_ticket(key + "-rehire"))  # a phrase search for `key` matches it too
    assert sink.find(key) is None
    exact = sink.create(sample_ticket(key))
    assert exact["external_id"] != longer["external_id"]
    assert sink.find(key) == exact | {"state": "open"}
    assert sandbox.issues[exact["external_id"]].custom == {"customfield_10050": key}


def test_a_request_type_without_the_hub_fields_is_refused_in_jiras_words(make_sink: MakeSink) -> None:
    with pytest.raises(HttpStatusError, match="is not valid for the request type 'Get IT help'"):
        make_sink(request_type_id="42").create(sample_ticket(unique_key("joiner")))


def test_check_names_an_unknown_request_type(make_sink: MakeSink) -> None:
    result = make_sink(request_type_id="99").check()
    assert not result.ok and "does not exist" in result.message


def test_update_writes_a_document_and_cancel_explains_itself_in_a_private_comment(
    sandbox: JiraSandbox, make_sink: MakeSink
) -> None:
    sink = make_sink()
    key = unique_key("joiner")
    created = sink.create(sample_ticket(key))
    sink.update(created["external_id"], {**sample_ticket(key), "description": "Start date moved."})
    issue = sandbox.issues[created["external_id"]]
    assert issue.description["type"] == "doc" and adf_text(issue.description).startswith("Start date moved.")
    assert sink.cancel(created["external_id"], "offer withdrawn")["state"] == "cancelled"
    assert issue.comments == [{"id": "1", "body": "Cancelled by the hub: offer withdrawn", "public": False}]
    assert {sandbox.issues[s].status for s in issue.subtasks} == {"Canceled"}
    assert (issue.status, issue.resolution) == ("Canceled", "Won't Do")


@pytest.mark.parametrize(
    ("desk_ops", "state"),
    [
        (["start_work"], "in_progress"),
        (["resolve_ticket"], "closed"),
        (["close_ticket"], "closed"),
        (["cancel_ticket"], "cancelled"),
    ],
)
def test_the_workflow_reads_back_as_hub_states(
    sandbox: JiraSandbox, make_sink: MakeSink, desk_ops: list[str], state: str
) -> None:
    sink = make_sink()
    created = sink.create(sample_ticket(unique_key("mover")))
    for op in desk_ops:
        sandbox.admin(op, {"external_id": created["external_id"]})
    assert sink.fetch_status(created["external_id"])["state"] == state


def test_the_sites_burst_limit_is_waited_out(sandbox: JiraSandbox, make_sink: MakeSink) -> None:
    sink = make_sink()
    sandbox.admin("set_rate_limit", {"requests": 3, "window_seconds": 1})
    assert all(sink.find(unique_key("burst")) is None for _ in range(5))
    assert sink.client.http.retry_count >= 1, "the burst should have met at least one 429"


def test_keys_with_spaces_cannot_be_labels(make_sink: MakeSink) -> None:
    with pytest.raises(FatalError, match="text custom field"):
        make_sink().find("E1:leaver:2031 03 01")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60))
def test_any_key_in_a_text_field_is_found_again_exactly(make_sink: MakeSink, key: str) -> None:
    sink = make_sink(**CUSTOM)
    ticket = sink.find(key) or sink.create({**sample_ticket("E1:x:2031-01-01"), "key": key})
    again = sink.find(key)
    assert again is not None and again["external_id"] == ticket["external_id"]
