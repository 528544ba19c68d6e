"""The Teams sandbox refuses what the service refuses (connectors/teams/README.md, "What Teams
accepts"), and the hub never sends what would be refused: the HTTP trigger takes JSON only; the
flow run fails, silently for the sender, on a message that is not one Adaptive Card, a card over
the 28 KB message limit or above version 1.4; a button nobody listens to is listed as such."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from connectors.teams.cards import MESSAGE_MAX_BYTES, approval_card, teams_message, wrap
from connectors.teams.sandbox import TeamsSandbox
from core.approval_requests.channel import ApprovalCard
from core.approval_requests.registry import Pending
from core.errors import ConfigError

CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.4",
    "body": [{"type": "TextBlock", "text": "hello", "wrap": True}],
}


def _message(
    card: dict[str, Any], content_type: str = "application/vnd.microsoft.card.adaptive"
) -> dict[str, Any]:
    return {"type": "message", "attachments": [{"contentType": content_type, "content": card}]}


def _post(channel: TeamsSandbox, body: Any, workflow: str = "channel", **kwargs: Any) -> requests.Response:
    if "data" not in kwargs:
        kwargs["json"] = body
    return requests.post(channel.trigger_url(workflow), verify=channel.ca_path, timeout=30, **kwargs)


def _last(channel: TeamsSandbox) -> dict[str, Any]:
    return channel.admin("messages", {})[-1]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_sent_as_json_is_refused_with_400(channel: TeamsSandbox, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = _post(channel, None, data=json.dumps(_message(CARD)).encode(), headers=headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "InvalidRequestContent" and "must be of type JSON" in error["message"]
    if content_type:
        assert content_type in error["message"]
    assert channel.admin("messages", {}) == []


def test_json_with_a_charset_is_json(channel: TeamsSandbox) -> None:
    answer = _post(
        channel,
        None,
        data=json.dumps(_message(CARD)).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert answer.status_code == 202 and _last(channel)["posted"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_message(CARD, content_type="application/vnd.microsoft.card.hero"), "flowbot adaptive card request"),
        (_message({**CARD, "type": "MessageCard"}), "Property 'type' must be 'AdaptiveCard'"),
        (_message({**CARD, "version": "1.5"}), "couldn't be displayed"),
        (_message({k: v for k, v in CARD.items() if k != "version"}), "couldn't be displayed"),
        ({"text": "hello"}, "not a message"),
        (
            _message({**CARD, "body": [{"type": "TextBlock", "text": "x" * MESSAGE_MAX_BYTES}]}),
            "Request Entity too large",
        ),
    ],
)
def test_the_flow_run_fails_where_teams_fails_it_though_the_trigger_accepted(
    channel: TeamsSandbox, body: dict[str, Any], problem: str
) -> None:
    answer = _post(channel, body)
    assert answer.status_code == 202, "the trigger accepts; the run fails later, out of the sender's sight"
    message = _last(channel)
    assert not message["posted"] and problem in message["problem"]


def test_a_card_just_under_the_limit_is_posted(channel: TeamsSandbox) -> None:
    card = {**CARD, "body": [{"type": "TextBlock", "text": ""}]}
    room = MESSAGE_MAX_BYTES - len(json.dumps(_message(card), ensure_ascii=False).encode())
    card["body"][0]["text"] = "x" * room
    assert _post(channel, _message(card)).status_code == 202
    assert _last(channel)["posted"]


def test_submit_reaches_someone_only_in_the_approval_workflow(channel: TeamsSandbox) -> None:
    actions = [
        {"type": "Action.Submit", "title": "Approve", "data": {}},
        {"type": "Action.Execute", "title": "Run", "verb": "run"},
        {"type": "Action.OpenUrl", "title": "Open", "url": "https://desk.example/1"},
    ]
    _post(channel, _message({**CARD, "actions": actions}))
    assert _last(channel)["unreachable_actions"] == ["Action.Submit", "Action.Execute"]
    _post(channel, _message({**CARD, "actions": actions}), workflow="approval")
    assert _last(channel)["unreachable_actions"] == ["Action.Execute"], "Action.Execute needs a bot"


def test_the_manager_workflow_needs_a_recipient(channel: TeamsSandbox) -> None:
    _post(channel, _message(CARD), workflow="manager")
    assert "Recipient is required" in _last(channel)["problem"]
    _post(channel, {**_message(CARD), "recipient": "maria@agency.example.gov"}, workflow="manager")
    assert _last(channel)["posted"] and _last(channel)["recipient"] == "maria@agency.example.gov"


def test_each_workflow_checks_its_own_signature(channel: TeamsSandbox) -> None:
    old = channel.trigger_url("approval")
    channel.admin("rotate_signature", {"workflow": "approval"})
    assert requests.post(old, json=_message(CARD), verify=channel.ca_path, timeout=30).status_code == 401
    assert _post(channel, _message(CARD)).status_code == 202, "the channel's URL still works"


def test_the_hub_never_sends_what_teams_would_refuse() -> None:
    from datetime import UTC, datetime

    huge = {**CARD, "body": [{"type": "TextBlock", "text": "é" * MESSAGE_MAX_BYTES}]}
    with pytest.raises(ConfigError, match="exceeds the 28,672-byte message limit"):
        wrap(huge)
    event: Any = {
        "kind": "ticket_opened",
        "title": "T" * 10_000,
        "text": "é" * 100_000,
        "link": "https://d/1",
    }
    message = teams_message(event)
    assert len(json.dumps(message, ensure_ascii=False).encode()) <= MESSAGE_MAX_BYTES
    assert message["attachments"][0]["content"]["version"] == "1.4"
    approval = approval_card(
        ApprovalCard(
            request_id="r",
            pending=Pending("hold", "h", "T" * 10_000, "x" * 100_000),
            approve_token="a" * 400,
            reject_token="b" * 400,
            expires_at=datetime(2026, 3, 4, tzinfo=UTC),
        )
    )
    assert wrap(approval)["attachments"][0]["content"]["version"] == "1.4"
    assert [a["type"] for a in approval["actions"]] == ["Action.Submit", "Action.Submit"]
