"""The TeamDynamix sink against its sandbox: tickets, key attribute, tasks, per-method limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.teamdynamix.sandbox import APP_ID, TeamDynamixSandbox
from connectors.teamdynamix.sandbox.data import KEY_ATTRIBUTE, OTHER_APP_ATTRIBUTE, REQUESTOR_UID
from connectors.teamdynamix.sink import TeamDynamixSink
from core.connector.sink import TicketPayload
from core.errors import AuthError, ConfigError, TransientError
from core.sandbox.faults import ExpireTokens
from core.testing.sink_kit import sample_ticket, unique_key

MakeSink = Callable[..., TeamDynamixSink]


def test_a_ticket_lands_with_type_account_requestor_group_key_and_tasks(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink
) -> None:
    key = unique_key("leaver")
    created = make_sink().create(
        {**sample_ticket(key), "priority": "urgent", "assignment_group": "Desktop Support"}
    )
    ticket = sandbox.tickets[int(created["external_id"])]
    assert (ticket["TypeID"], ticket["AccountName"], ticket["RequestorUid"]) == (
        401,
        "Information Technology",
        REQUESTOR_UID,
    )
    assert (ticket["ResponsibleGroupName"], ticket["PriorityName"], ticket["StatusName"]) == (
        "Desktop Support",
        "High",
        "New",
    )
    assert ticket["EndDate"] == "2031-03-14T17:00:00Z"
    assert [a["Value"] for a in ticket["Attributes"] if a["ID"] == KEY_ATTRIBUTE] == [key]
    assert [t["Title"] for t in sandbox.tasks[ticket["ID"]]] == [
        "Disable directory account",
        "Collect laptop SN-40213",
    ]
    assert created["url"].endswith(f"/TDNext/Apps/{APP_ID}/Tickets/TicketDet?TicketID={ticket['ID']}")


def test_the_loose_attribute_search_never_makes_find_pick_another_ticket(make_sink: MakeSink) -> None:
    sink = make_sink()
    key = unique_key("leaver")
    longer = sink.create(sample_ticket(key + "-rehire"))
    assert sink.find(key) is None, "search matched the longer key, find must not"
    exact = sink.create(sample_ticket(key))
    found = sink.find(key)
    assert found is not None and found["external_id"] == exact["external_id"] != longer["external_id"]


def test_cancelled_tasks_are_completed_with_a_comment_and_cancel_uses_the_active_status(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink
) -> None:
    sink = make_sink()
    key = unique_key("joiner")
    created = sink.create(sample_ticket(key))
    ticket_id = int(created["external_id"])
    changed: TicketPayload = {
        **sample_ticket(key),
        "tasks": [
            {"title": "Disable directory account", "state": "open"},
            {"title": "Collect laptop SN-40213", "state": "cancelled"},
        ],
    }
    sink.update(created["external_id"], changed)
    laptop = sandbox.tasks[ticket_id][1]
    assert (laptop["PercentComplete"], laptop["Feed"]) == (100, ["Cancelled by the hub: not needed"])
    assert sink.cancel(created["external_id"], "offer withdrawn")["state"] == "cancelled"
    assert sandbox.tickets[ticket_id]["StatusID"] == 107, "the active Cancelled status, not the retired one"
    assert sandbox.feeds[ticket_id][-1]["Body"] == "Cancelled by the hub: offer withdrawn"
    assert sandbox.feeds[ticket_id][-1]["IsPrivate"] is True


@pytest.mark.parametrize(
    ("desk_op", "state"),
    [
        ("start_work", "in_progress"),
        ("resolve_ticket", "closed"),
        ("close_ticket", "closed"),
        ("cancel_ticket", "cancelled"),
    ],
)
def test_desk_statuses_read_back_by_status_class(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink, desk_op: str, state: str
) -> None:
    sink = make_sink()
    created = sink.create(sample_ticket(unique_key("mover")))
    sandbox.admin(desk_op, {"external_id": created["external_id"]})
    assert sink.fetch_status(created["external_id"])["state"] == state


def test_a_method_at_its_limit_pauses_until_the_reset_instead_of_failing(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink
) -> None:
    sandbox.admin("set_rate_limit", {"limit": 2, "window_seconds": 2})
    careful = make_sink()
    for _ in range(3):
        assert careful.find(unique_key("burst")) is None
    assert careful.client.rate_limit_waits == 1, "X-RateLimit-Remaining: 0 made the third search wait"
    assert careful.client.http.request_count == 3, "so no 429 was ever met"


def test_a_429_without_retry_after_is_waited_out_until_the_reset_header(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink
) -> None:
    sandbox.admin("set_rate_limit", {"limit": 1, "window_seconds": 2})
    make_sink().find(unique_key("other-client"))  # another client used the method's whole window
    sink = make_sink(min_rate_limit_wait_seconds=0.5)
    assert sink.find(unique_key("burst")) is None
    assert (sink.client.rate_limit_waits, sink.client.http.request_count) == (1, 2)


def test_a_reset_far_away_fails_the_delivery_resumably(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink
) -> None:
    sandbox.admin("set_rate_limit", {"limit": 1, "window_seconds": 900})
    sink = make_sink()
    sink.find(unique_key("slow"))
    with pytest.raises(TransientError, match="rate-limited") as caught:
        sink.find(unique_key("slow"))
    assert caught.value.retry_after is not None and caught.value.retry_after > 120


def test_an_expired_token_logs_in_again(sandbox: TeamDynamixSandbox, make_sink: MakeSink) -> None:
    sink = make_sink()
    sink.find(unique_key("warmup"))
    sandbox.arm(ExpireTokens(path=r"/tickets/search$"))
    assert sink.find(unique_key("after-expiry")) is None


def test_an_application_the_account_cannot_reach_is_an_auth_error(make_sink: MakeSink) -> None:
    with pytest.raises(AuthError, match="permission denied"):
        make_sink(app_id=99).find(unique_key("leaver"))


def test_unknown_or_inactive_groups_and_a_missing_key_attribute_are_config_problems(
    make_sink: MakeSink,
) -> None:
    sink = make_sink()
    for group in ("Night Shift", "Old Helpdesk"):
        with pytest.raises(ConfigError, match=group):
            sink.create({**sample_ticket(unique_key("leaver")), "assignment_group": group})
    result = make_sink(key_attribute_id=9999).check()
    assert not result.ok and "9999" in result.message


def test_check_finds_the_key_attribute_of_its_own_ticketing_app_only(
    sandbox: TeamDynamixSandbox, make_sink: MakeSink
) -> None:
    """Ticket attributes are listed per application (`appId`): the key attribute of app 41 is
    found, and one that lives in another ticketing app is not taken for it."""
    result = make_sink().check()
    assert result.ok, result.message
    other = make_sink(key_attribute_id=OTHER_APP_ATTRIBUTE).check()
    assert not other.ok
    assert f"does not exist in ticketing app {APP_ID}" in other.message
