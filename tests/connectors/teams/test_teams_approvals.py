"""Approving a held run from Teams: the hub posts an Approve / Reject card through the approval
workflow, the workflow's HTTP action sends the answer to the console's response route, and the
answer counts only when the shared secret and the single-use token the hub signed for that
subject and decision both check out. Every refusal is in the operator log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from connectors.teams.sandbox import TeamsSandbox
from core import clock
from core.actions import Action
from core.approval_requests.channel import RESPONSE_SECRET_HEADER
from core.approval_requests.post import post_approval_requests
from core.hub import Hub
from core.pipeline import run_lifecycle
from core.sandbox import fake_clock
from core.status import open_holds
from core.store.operator_log import recent
from core.store.schema import actions, approval_requests, holds
from core.tickets.query import list_tickets
from tests.connectors.teams.responder import serve_responses
from tests.engine.staging import INSTANCES, make_hub, person, set_today, stage

SIGNING_KEY = "signing-key-for-tests-" + "k" * 32
RESPONSE_SECRET = "response-secret-for-tests-" + "s" * 32
HIRES = {f"E5000{i}": {"status": "pre_hire", "hire_date": "2026-03-20"} for i in range(3)}


@pytest.fixture
def hub(channel: TeamsSandbox, store_url: str) -> Iterator[Hub]:
    set_today("2026-03-01")
    teams = {
        **channel.instance_config(),
        "approval_webhook_url": channel.trigger_url("approval"),
        "approval_signing_key": SIGNING_KEY,
        "approval_response_secret": RESPONSE_SECRET,
        "approval_ttl_hours": 24,
    }
    hub = make_hub(
        store_url,
        instances=[*INSTANCES, {"name": "teams", "type": "teams", "schedule": None, "config": teams}],
        tickets={"sink": "builtin", "notifier": "teams"},
        lifecycle={"storm_guard": {"max_count": 2}},
    )
    yield hub
    hub.close()


@pytest.fixture
def responses(hub: Hub, channel: TeamsSandbox) -> Iterator[str]:
    with serve_responses(hub) as url:
        channel.admin(
            "configure_response", {"url": url, "headers": {RESPONSE_SECRET_HEADER: RESPONSE_SECRET}}
        )
        yield url


def _hold_a_storm(hub: Hub) -> dict[str, Any]:
    stage(hub, "workday", "workers", "person", {e: person(e, **f) for e, f in HIRES.items()})
    result = run_lifecycle(hub)
    assert result["lifecycle"]["held"] and list_tickets(hub.store) == []
    [hold] = open_holds(hub.store)
    return hold


def _cards(channel: TeamsSandbox) -> list[dict[str, Any]]:
    return channel.admin("messages", {"workflow": "approval"})


def _refusals(hub: Hub) -> list[dict[str, Any]]:
    return [a for a in recent(hub.store, kind="approval_request") if a["action"] == "teams_refused"]


def _post(url: str, body: Any, secret: str | None = RESPONSE_SECRET) -> requests.Response:
    headers = {RESPONSE_SECRET_HEADER: secret} if secret is not None else {}
    return requests.post(url, json=body, headers=headers, timeout=30)


def test_a_held_run_gets_one_card_with_approve_and_reject_that_reach_the_hub(
    hub: Hub, channel: TeamsSandbox
) -> None:
    hold = _hold_a_storm(hub)
    [card] = _cards(channel)
    assert card["posted"], card.get("problem")
    assert "lifecycle:onboarding" in card["texts"][1] and hold["reason"] in card["texts"][2]
    submits = [a for a in card["actions"] if a["type"] == "Action.Submit"]
    assert [a["title"] for a in submits] == ["Approve", "Reject"]
    assert card["unreachable_actions"] == [], "Action.Submit is answered in the approval workflow"
    approve_token, reject_token = (a["data"]["hub_token"] for a in submits)
    assert approve_token != reject_token
    assert SIGNING_KEY not in str(card) and RESPONSE_SECRET not in str(card)

    run_lifecycle(hub)
    run_lifecycle(hub)
    assert len(_cards(channel)) == 1, "one card per held run, however many passes"
    assert channel.admin("messages", {"workflow": "channel"}) == [], "nothing in the notification channel"


def test_a_good_answer_releases_the_held_run_and_the_next_run_goes_on(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    hold = _hold_a_storm(hub)
    [card] = _cards(channel)
    answer = channel.admin(
        "respond", {"run_id": card["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 200, answer["body"]
    with hub.store.engine.connect() as conn:
        decided = conn.execute(sa.select(holds).where(holds.c.id == hold["id"])).one()
    assert (decided.state, decided.decided_by) == ("approved", "dana@agency.gov (Teams)")
    assert decided.decided_at == clock.now()
    log = recent(hub.store)
    assert [(a["actor"], a["action"]) for a in log[:2]] == [
        ("dana@agency.gov (Teams)", "teams_approve"),
        ("dana@agency.gov (Teams)", "approve"),
    ]

    run_lifecycle(hub)
    assert len(list_tickets(hub.store)) == 3, "the next run opens the held tickets"
    assert len(_cards(channel)) == 1, "nothing is held any more: no new card"
    with hub.store.engine.connect() as conn:
        stored = " ".join(
            str(tuple(row))
            for name in sa.inspect(conn).get_table_names()
            for row in conn.execute(sa.text(f"SELECT * FROM {name}"))
        )
    token = answer["sent"]["token"]
    assert SIGNING_KEY not in stored and RESPONSE_SECRET not in stored and token not in stored


def test_a_rejection_carries_the_note_and_opens_nothing(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    hold = _hold_a_storm(hub)
    [card] = _cards(channel)
    answer = channel.admin(
        "respond",
        {
            "run_id": card["run_id"],
            "button": "Reject",
            "responder": "sam@agency.gov",
            "inputs": {"note": "HR  test load"},
        },
    )
    assert answer["status"] == 200, answer["body"]
    with hub.store.engine.connect() as conn:
        decided = conn.execute(sa.select(holds).where(holds.c.id == hold["id"])).one()
    assert decided.state == "rejected" and decided.details["rejection_note"] == "HR test load"


@pytest.mark.parametrize(
    ("secret", "status", "reason"),
    [
        (None, 401, "no shared secret header"),
        ("", 401, "no shared secret header"),
        ("x" * len(RESPONSE_SECRET), 401, "shared secret does not match"),
        (RESPONSE_SECRET[:-1], 401, "shared secret does not match"),
    ],
)
def test_an_answer_without_the_shared_secret_is_refused_and_logged(
    hub: Hub, channel: TeamsSandbox, responses: str, secret: str | None, status: int, reason: str
) -> None:
    hold = _hold_a_storm(hub)
    [card] = _cards(channel)
    token = card["actions"][0]["data"]["hub_token"]
    answer = _post(responses, {"token": token, "responder": "mallory@example.org"}, secret=secret)
    assert answer.status_code == status and reason in answer.json()["message"]
    assert [h["id"] for h in open_holds(hub.store)] == [hold["id"]], "still held"
    [refusal] = _refusals(hub)
    assert reason in refusal["detail"]["reason"] and refusal["actor"] == "mallory@example.org (Teams)"
    assert token not in str(refusal) and RESPONSE_SECRET not in str(refusal)


def _tampered(token: str) -> list[tuple[str, str]]:
    claims, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = claims[:-2] + ("xy" if claims[-2:] != "xy" else "yz")
    return [
        (f"{claims}.{flipped}", "signature does not match"),
        (f"{forged}.{signature}", "signature does not match"),
        (claims, "malformed"),
        ("", "no decision token"),
        ("a.b.c", "malformed"),
    ]


def test_a_bad_or_missing_token_is_refused_and_logged(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    hold = _hold_a_storm(hub)
    token = _cards(channel)[0]["actions"][0]["data"]["hub_token"]
    cases = _tampered(token)
    for bad, reason in cases:
        answer = _post(responses, {"token": bad, "responder": "mallory@example.org"})
        assert answer.status_code == 403 and reason in answer.json()["message"], bad
    answer = _post(responses, {"responder": "mallory@example.org"})
    assert answer.status_code == 403
    not_json = requests.post(
        responses, data=b"approve!", headers={RESPONSE_SECRET_HEADER: RESPONSE_SECRET}, timeout=30
    )
    assert not_json.status_code == 403
    assert [h["id"] for h in open_holds(hub.store)] == [hold["id"]], "still held"
    assert len(_refusals(hub)) == len(cases) + 2


def test_a_token_signed_with_another_key_is_refused(hub: Hub, channel: TeamsSandbox, responses: str) -> None:
    from core.approval_requests.tokens import Claims, issue

    hold = _hold_a_storm(hub)
    forged = issue(
        b"another-hub's-key-" + b"x" * 40,
        Claims("not-a-request", "hold", hold["id"], "approve", clock.now() + timedelta(hours=1)),
    )
    answer = _post(responses, {"token": forged, "responder": "mallory@example.org"})
    assert answer.status_code == 403 and "signature does not match" in answer.json()["message"]
    assert open_holds(hub.store)


def test_a_replayed_answer_is_refused_and_logged(hub: Hub, channel: TeamsSandbox, responses: str) -> None:
    _hold_a_storm(hub)
    [card] = _cards(channel)
    answer = channel.admin(
        "respond", {"run_id": card["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 200
    replay = _post(responses, answer["sent"])
    assert (
        replay.status_code == 409
        and "already answered: approve by dana@agency.gov (Teams)" in replay.json()["message"]
    )
    reject_token = card["actions"][1]["data"]["hub_token"]
    other = _post(responses, {"token": reject_token, "responder": "sam@agency.gov"})
    assert other.status_code == 409, "the request is spent: the other button no longer counts"
    assert len(_refusals(hub)) == 2
    run_lifecycle(hub)
    assert len(list_tickets(hub.store)) == 3


def test_an_expired_card_is_refused_and_a_new_one_is_posted(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    hold = _hold_a_storm(hub)
    [old] = _cards(channel)
    fake_clock.set_now(clock.now() + timedelta(hours=25))
    answer = channel.admin(
        "respond", {"run_id": old["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 403 and "expired" in answer["body"]
    assert [h["id"] for h in open_holds(hub.store)] == [hold["id"]]
    summary = post_approval_requests(hub)
    assert (summary.expired, summary.posted) == (1, 1)
    new = _cards(channel)[-1]
    assert new["run_id"] != old["run_id"]
    answer = channel.admin(
        "respond", {"run_id": new["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 200, answer["body"]


def test_a_hold_decided_in_the_cli_meanwhile_is_not_decided_again(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    from core.approvals import reject

    hold = _hold_a_storm(hub)
    [card] = _cards(channel)
    reject(hub.store, hold["id"], by="sam", note="not now")
    answer = channel.admin(
        "respond", {"run_id": card["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 409 and "already rejected by sam" in answer["body"]
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(approval_requests.c.state)) == "superseded"
    run_lifecycle(hub)
    assert list_tickets(hub.store) == []


def test_an_approval_card_whose_post_may_have_failed_is_not_posted_again(
    hub: Hub, channel: TeamsSandbox
) -> None:
    from core.sandbox.faults import AppliedThenError

    channel.arm(AppliedThenError(path=channel.workflow_ids["approval"]))
    _hold_a_storm(hub)
    assert len(_cards(channel)) == 1, "Teams got it, the hub saw a 502"
    run_lifecycle(hub)
    assert len(_cards(channel)) == 1, "an unknown outcome is not re-posted blindly"
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(approval_requests.c.state)) == "unknown"


def test_the_same_answer_sent_at_once_counts_once(hub: Hub, channel: TeamsSandbox, responses: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    hold = _hold_a_storm(hub)
    token = _cards(channel)[0]["actions"][0]["data"]["hub_token"]
    body = {"token": token, "responder": "dana@agency.gov"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(lambda _: _post(responses, body).status_code, range(6)))
    assert statuses == [200, 409, 409, 409, 409, 409]
    approvals = [a for a in recent(hub.store, kind="hold") if a["action"] == "approve"]
    assert len(approvals) == 1 and approvals[0]["subject"] == f"hold:{hold['id']}"


def test_another_kind_registers_its_handlers_and_gets_the_same_verified_path(
    hub: Hub, channel: TeamsSandbox, responses: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry's contract, as an action kind would use it: pending subjects get one card
    each, a verified answer calls the kind's handler as the responder, nothing else does."""
    from core.approval_requests import registry
    from core.approval_requests.registry import ApprovableKind, Pending
    from core.errors import ConfigError

    waiting = {"disable:E1": "Disable E1's Entra account", "keys:E1": "Deactivate E1's IAM keys"}
    decided: list[tuple[str, str, str]] = []

    def find(hub: Hub, subject_id: str) -> Pending:
        if subject_id not in waiting:
            raise ConfigError(f"action {subject_id} is no longer waiting")
        return Pending("action", subject_id, waiting[subject_id], "policy: approve")

    def decide(decision: str) -> Any:
        def handler(hub: Hub, subject_id: str, by: str, *note: str) -> dict[str, str]:
            find(hub, subject_id)
            waiting.pop(subject_id)
            decided.append((decision, subject_id, by))
            return {"action": subject_id, "state": decision}

        return handler

    def broken(hub: Hub) -> list[Pending]:
        raise RuntimeError("the kind's table is missing")

    registry.kinds()  # the built-in kinds load first, so the stand-in below is not replaced
    monkeypatch.setitem(
        registry._KINDS,
        "action",
        ApprovableKind(
            "action",
            pending=lambda hub: [find(hub, s) for s in waiting],
            find=find,
            approve=decide("approved"),
            reject=decide("rejected"),
        ),
    )
    monkeypatch.setitem(
        registry._KINDS, "broken", ApprovableKind("broken", broken, find, decide("x"), decide("y"))
    )
    summary = post_approval_requests(hub)
    assert summary.posted == 2 and "broken: pending subjects unreadable" in summary.errors[0]
    cards = {c["texts"][1]: c for c in _cards(channel)}
    disable = cards["Disable E1's Entra account"]
    answer = channel.admin(
        "respond", {"run_id": disable["run_id"], "button": "Reject", "responder": "sam@agency.gov"}
    )
    assert answer["status"] == 200, answer["body"]
    assert decided == [("rejected", "disable:E1", "sam@agency.gov (Teams)")]
    assert post_approval_requests(hub).posted == 0, "the other action still has its open card"


def _awaiting_action(hub: Hub) -> str:
    """An action under the `approve` policy, waiting (as the lifecycle plans one for a leaver)."""
    action = Action(
        "entra.disable_account", "office365", "leaver@agency.gov", clock.now(), reason="E9:e1:leaver"
    )
    now = clock.now()
    with hub.store.engine.begin() as conn:
        conn.execute(
            actions.insert().values(
                id=action.idempotency_key, ticket_key="E9:e1:leaver:2026-03-13", event_id="ev-1",
                person_id="p-1", employee_id="E9", kind=action.kind, instance=action.instance,
                target=action.target, params={}, reason=action.reason, policy="approve",
                state="awaiting_approval", tasks=["Disable entra account leaver@agency.gov"],
                due_at=now + timedelta(days=3), requested_at=now, evidence=[], created_at=now, updated_at=now,
            )
        )  # fmt: skip
    return action.idempotency_key


def test_an_action_awaiting_approval_gets_a_card_and_a_verified_answer_approves_it(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    action_id = _awaiting_action(hub)
    assert post_approval_requests(hub).posted == 1
    [card] = _cards(channel)
    assert "entra.disable_account on leaver@agency.gov" in " ".join(card["texts"])

    answer = channel.admin(
        "respond", {"run_id": card["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 200, answer["body"]
    with hub.store.engine.connect() as conn:
        decided = conn.execute(sa.select(actions).where(actions.c.id == action_id)).one()
    assert (decided.state, decided.decided_by) == ("approved", "dana@agency.gov (Teams)")
    assert [a["action"] for a in recent(hub.store, kind="action")] == ["approve"]
    assert post_approval_requests(hub).posted == 0, "nothing waits any more"


def _notices(channel: TeamsSandbox) -> list[dict[str, Any]]:
    return channel.admin("messages", {"workflow": "channel"})


def _request_state(hub: Hub) -> tuple[str, str | None]:
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(approval_requests.c.state, approval_requests.c.error)).one()
    return row.state, row.error


def test_a_hold_decided_in_the_cli_is_announced_once_and_its_card_stops_counting(
    hub: Hub, channel: TeamsSandbox, responses: str
) -> None:
    """A Workflows webhook cannot edit the card it posted: the channel is told, once, who decided
    and when, and a late click is refused as stale."""
    from core.approvals import reject

    hold = _hold_a_storm(hub)
    [card] = _cards(channel)
    clock_at = clock.now()
    reject(hub.store, hold["id"], by="sam", note="not now")

    assert post_approval_requests(hub).closed == 1
    [notice] = _notices(channel)
    assert notice["posted"], notice.get("problem")
    assert notice["texts"][0] == "Approval no longer needed"
    assert f"It was rejected by sam at {clock_at:%Y-%m-%d %H:%M} UTC" in notice["texts"][2]
    assert "no longer count" in notice["texts"][2]
    assert _request_state(hub) == ("closed", None)

    assert post_approval_requests(hub).closed == 0
    assert len(_notices(channel)) == 1, "one notice per request, however many passes"
    assert len(_cards(channel)) == 1, "a decided subject gets no new card"

    answer = channel.admin(
        "respond", {"run_id": card["run_id"], "button": "Approve", "responder": "dana@agency.gov"}
    )
    assert answer["status"] == 409 and "the approval request is closed" in answer["body"]
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(holds.c.state).where(holds.c.id == hold["id"])) == "rejected"


def test_an_action_approved_in_the_cli_is_announced_with_who_approved_it(
    hub: Hub, channel: TeamsSandbox
) -> None:
    from core.approvals import approve_action

    action_id = _awaiting_action(hub)
    assert post_approval_requests(hub).posted == 1
    approve_action(hub.store, action_id, by="it-lead")
    summary = post_approval_requests(hub)
    assert (summary.posted, summary.closed) == (0, 1)
    [notice] = _notices(channel)
    assert "Approve entra.disable_account on leaver@agency.gov" in notice["texts"][1]
    assert "It was approved by it-lead at" in notice["texts"][2]


def test_a_card_answered_in_teams_needs_no_notice(hub: Hub, channel: TeamsSandbox, responses: str) -> None:
    _hold_a_storm(hub)
    [card] = _cards(channel)
    channel.admin("respond", {"run_id": card["run_id"], "button": "Approve", "responder": "dana@agency.gov"})
    assert post_approval_requests(hub).closed == 0
    assert _notices(channel) == []


def test_a_notice_whose_post_may_have_failed_is_not_posted_again(hub: Hub, channel: TeamsSandbox) -> None:
    from core.approvals import reject
    from core.sandbox.faults import AppliedThenError

    hold = _hold_a_storm(hub)
    reject(hub.store, hold["id"], by="sam")
    channel.arm(AppliedThenError(path=channel.workflow_ids["channel"]))
    summary = post_approval_requests(hub)
    assert summary.closed == 0 and "decided-elsewhere notice" in summary.errors[0]
    state, error = _request_state(hub)
    assert state == "closed" and error and error.startswith("notice may or may not be posted")
    post_approval_requests(hub)
    assert len(_notices(channel)) == 1, "Teams got it once, the hub saw a 502 and never re-sent it"


def test_a_notice_the_channel_refused_is_posted_on_the_next_pass(hub: Hub, channel: TeamsSandbox) -> None:
    from core.approvals import reject
    from core.sandbox.faults import ServerError

    hold = _hold_a_storm(hub)
    reject(hub.store, hold["id"], by="sam")
    channel.arm(ServerError(path=channel.workflow_ids["channel"], status=400, body='{"error":"bad"}'))
    assert post_approval_requests(hub).closed == 0
    state, error = _request_state(hub)
    assert state == "posted" and error and "notice not posted" in error
    assert _notices(channel) == []
    assert post_approval_requests(hub).closed == 1
    assert len(_notices(channel)) == 1
    assert _request_state(hub) == ("closed", None)
