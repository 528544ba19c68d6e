"""The Teams notifier posting Adaptive Cards to the workflow webhook sandbox over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from connectors.teams.notifier import TeamsNotifier
from connectors.teams.sandbox import TeamsSandbox
from core.airflow.callbacks import failure_event
from core.connector.sink import NotificationEvent
from core.errors import AuthError, ConfigError, TransientError
from core.sandbox.faults import Throttle

Notifiers = Callable[..., TeamsNotifier]


def _event(kind: str, **extra: str) -> NotificationEvent:
    return NotificationEvent(
        kind=kind,
        title=f"offboarding ticket {kind.split('_', 1)[-1]}: Offboard Zoë Åberg (E10042)",
        text="E10042:leaver:2026-03-13 for E10042, due 2026-03-13T04:00:00-06:00, priority urgent",
        **extra,  # type: ignore[typeddict-item]
    )


@pytest.mark.parametrize(
    ("kind", "label", "style"),
    [
        ("ticket_opened", "Ticket opened", "accent"),
        ("ticket_overdue", "Ticket overdue", "attention"),
        ("ticket_closed", "Ticket closed", "good"),
    ],
)
def test_each_ticket_event_is_one_adaptive_card_in_the_channel(
    make_notifier: Notifiers, channel: TeamsSandbox, kind: str, label: str, style: str
) -> None:
    make_notifier().notify(_event(kind))
    [message] = channel.admin("messages", {})
    assert message["posted"], message.get("problem")
    assert message["texts"] == [label, _event(kind)["title"], _event(kind)["text"]]
    assert message["card"]["version"] == "1.4"
    assert message["card"]["body"][0]["style"] == style
    assert message["actions"] == []


def test_a_failed_dag_run_posts_the_error_and_a_link_to_its_log(
    make_notifier: Notifiers, channel: TeamsSandbox
) -> None:
    task = SimpleNamespace(
        dag_id="hub_sync_workday",
        task_id="sync_workers",
        map_index=-1,
        try_number=3,
        log_url="https://airflow.agency.example.gov/dags/hub_sync_workday/grid?task_id=sync_workers",
    )
    error = TransientError("workday: 503 from https://wd5.example/ccx; gave up after 6 attempts")
    make_notifier().notify(failure_event({"task_instance": task, "exception": error}))
    [message] = channel.admin("messages", {})
    assert message["texts"][0] == "Hub run failed"
    assert "hub_sync_workday failed at sync_workers (try 3)" in message["texts"][1]
    assert "gave up after 6 attempts" in message["texts"][2]
    assert message["actions"] == [{"type": "Action.OpenUrl", "title": "Open", "url": task.log_url}]


def test_long_texts_are_cut_so_the_card_stays_small(make_notifier: Notifiers, channel: TeamsSandbox) -> None:
    make_notifier().notify(NotificationEvent(kind="run_failed", title="T" * 500, text="x" * 50_000))
    [message] = channel.admin("messages", {})
    assert len(message["texts"][1]) == 200 and len(message["texts"][2]) == 2_000


def test_check_proves_the_signature_without_posting(make_notifier: Notifiers, channel: TeamsSandbox) -> None:
    result = make_notifier().check()
    assert result.ok, result.message
    bad = channel.bad_credentials()["webhook_url"]
    refused = make_notifier(webhook_url=bad).check()
    assert not refused.ok and "regenerated" in refused.message
    assert channel.signature not in refused.message and "sig=0000" not in refused.message
    gone = make_notifier(webhook_url=bad.replace(channel.workflow_id, "f" * 32)).check()
    assert not gone.ok and "404" in gone.message
    assert channel.admin("messages", {}) == [], "check() must never post to the channel"


def test_a_regenerated_url_is_an_auth_error_that_does_not_show_the_signature(
    make_notifier: Notifiers, channel: TeamsSandbox
) -> None:
    notifier = make_notifier()
    old_signature = channel.signature
    channel.admin("rotate_signature", {})
    with pytest.raises(AuthError, match="401") as caught:
        notifier.notify(_event("ticket_opened"))
    assert old_signature not in str(caught.value)
    assert channel.admin("messages", {}) == []


def test_throttling_is_waited_out_when_short_and_given_up_when_long(
    make_notifier: Notifiers, channel: TeamsSandbox
) -> None:
    notifier = make_notifier()
    short = Throttle(path=channel.throttle_path, retry_after=1, times=1)
    channel.arm(short)
    notifier.notify(_event("ticket_opened"))
    assert short.times == 0 and len(channel.admin("messages", {})) == 1

    channel.arm(Throttle(path=channel.throttle_path, retry_after=3600, times=5))
    with pytest.raises(TransientError, match="asked to wait 3600s"):
        notifier.notify(_event("ticket_overdue"))
    assert len(channel.admin("messages", {})) == 1, "the throttled card was not posted"
    channel.faults.clear()


def test_only_https_webhooks_are_accepted(make_notifier: Notifiers) -> None:
    notifier = make_notifier(webhook_url="http://prod-12.westus.logic.azure.com/workflows/x?sig=abc")
    with pytest.raises(ConfigError, match="https"):
        notifier.notify(_event("ticket_opened"))


def test_the_sandbox_shows_bodies_teams_could_not_render(
    make_notifier: Notifiers, channel: TeamsSandbox
) -> None:
    notifier = make_notifier()
    notifier.http.request("POST", channel.webhook_url, json={"text": "legacy MessageCard text"})
    [message] = channel.admin("messages", {})
    assert not message["posted"] and "attachments" in message["problem"]
    with pytest.raises(ValueError, match="known: messages"):
        channel.admin("delete_channel", {})


def test_approvals_need_all_three_settings_and_long_secrets(
    make_notifier: Notifiers, channel: TeamsSandbox
) -> None:
    from pydantic import ValidationError

    from connectors.teams.config import TeamsConfig

    with pytest.raises(ValidationError, match="missing approval_signing_key, approval_response_secret"):
        TeamsConfig.model_validate(
            {**channel.instance_config(), "approval_webhook_url": channel.trigger_url("approval")}
        )
    approvals = {
        "approval_webhook_url": channel.trigger_url("approval"),
        "approval_signing_key": "short",
        "approval_response_secret": "r" * 40,
    }
    result = make_notifier(**approvals).check()
    assert not result.ok and "approval_signing_key is shorter than 32" in result.message
    assert "short" not in result.message.replace("shorter", "")
    good = make_notifier(**{**approvals, "approval_signing_key": "k" * 40}).check()
    assert good.ok and "approval workflow: workflow at" in good.message
    channel.admin("rotate_signature", {"workflow": "approval"})
    stale = make_notifier(**{**approvals, "approval_signing_key": "k" * 40}).check()
    assert not stale.ok and stale.message.startswith("approval workflow:") and "regenerated" in stale.message
    assert channel.admin("messages", {}) == [], "checking posts nothing"
