"""Teams webhooks as Microsoft documents them (`documented/`): the notifier posts a message in
the documented shape and takes the documented 202, and the sandbox workflow accepts the
documented messages verbatim."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from connectors.teams.cards import teams_message
from connectors.teams.config import TeamsConfig
from connectors.teams.notifier import TeamsNotifier
from connectors.teams.sandbox import TeamsSandbox
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape

DOCUMENTED = load_examples(Path(__file__).parent / "documented")
EVENT: Any = {
    "kind": "ticket_opened",
    "title": "Offboarding: Dana Reyes",
    "text": "3 tasks",
    "link": "https://desk/1",
}


def test_the_hub_posts_messages_in_the_documented_shape() -> None:
    message = teams_message(EVENT)
    for name in ("adaptive_card_message", "full_width_card"):
        documented = DOCUMENTED[name].request_body
        card = documented["attachments"][0]["content"]
        shaped = {
            **documented,
            "attachments": [
                {**documented["attachments"][0], "content": {k: card[k] for k in card if k != "body"}}
            ],
        }
        assert missing_shape(shaped, message) == [], name
    assert message["attachments"][0]["content"]["msteams"] == {"width": "Full"}


def test_the_notifier_takes_the_documented_202(sandbox_ca: SandboxCA) -> None:
    with ReplayServer([DOCUMENTED["workflows_webhook_accepted"]], sandbox_ca) as replay:
        url = f"{replay.url}{DOCUMENTED['workflows_webhook_accepted'].path}"
        notifier = TeamsNotifier(
            TeamsConfig.model_validate({"webhook_url": url, "ca_bundle": str(sandbox_ca.ca_path)}),
            instance="teams",
        )
        try:
            notifier.notify(EVENT)
        finally:
            notifier.close()
    [posted] = replay.requests
    assert posted.json() == teams_message(EVENT)


def test_the_sandbox_workflow_accepts_the_documented_messages(channel: TeamsSandbox) -> None:
    for name in ("adaptive_card_message", "full_width_card"):
        answer = requests.post(
            channel.webhook_url, json=DOCUMENTED[name].request_body, verify=channel.ca_path, timeout=30
        )
        assert answer.status_code == DOCUMENTED["workflows_webhook_accepted"].status, name
    texts = [m["texts"] for m in channel.admin("messages", {})]
    assert texts[-2:] == [
        ["For Samples and Templates, see https://adaptivecards.io/samples"],
        ["Sample text, shown across the full width of the message"],
    ]
