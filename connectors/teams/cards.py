"""Notification events and approval requests as Teams messages carrying one Adaptive Card.

Workflows webhooks accept Adaptive Cards only (not the legacy MessageCard format), wrapped in a
`message` with one attachment. Version 1.4: the Workflows flow bot does not render 1.5 cards
("We're sorry, this card couldn't be displayed"). A posted message is limited to about 28 KB
(the flow run fails with "Request Entity too large", which the sender never sees), so texts are
cut short and the whole message is measured before it is sent: a card is a pointer, not a log.

Buttons: `Action.OpenUrl` works in any card. `Action.Submit` reaches someone only in a card the
approval workflow posts with "Post adaptive card and wait for a response"; in a card posted to a
channel by the notification workflow nobody listens, so only approval cards carry it.
"""

from __future__ import annotations

import json
from typing import Any

from core.approval_requests.channel import ApprovalCard
from core.connector.sink import NotificationEvent
from core.errors import ConfigError

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
#: the documented message size limit of a Teams post (bytes of the JSON message)
MESSAGE_MAX_BYTES = 28 * 1024
TITLE_MAX = 200
TEXT_MAX = 2_000
NOTE_MAX = 500

#: per event kind: a label shown above the title and the container style (colour) of the card
KINDS: dict[str, tuple[str, str]] = {
    "ticket_opened": ("Ticket opened", "accent"),
    "ticket_due_soon": ("Ticket due soon", "warning"),
    "ticket_overdue": ("Ticket overdue", "attention"),
    "ticket_closed": ("Ticket closed", "good"),
    "run_failed": ("Hub run failed", "attention"),
    "intent_dead": ("Ticket delivery gave up", "attention"),
    "approval_closed": ("Approval no longer needed", "good"),
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card(label: str, style: str, title: str, text: str) -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": [
            {
                "type": "Container",
                "style": style,
                "bleed": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "text": label,
                        "size": "Small",
                        "weight": "Bolder",
                        "isSubtle": True,
                    },
                    {
                        "type": "TextBlock",
                        "text": _clip(title, TITLE_MAX),
                        "size": "Medium",
                        "weight": "Bolder",
                        "wrap": True,
                    },
                ],
            },
            {"type": "TextBlock", "text": _clip(text, TEXT_MAX), "wrap": True},
        ],
    }


def adaptive_card(event: NotificationEvent) -> dict[str, Any]:
    label, style = KINDS.get(event["kind"], (event["kind"].replace("_", " ").capitalize(), "default"))
    card = _card(label, style, event["title"], event["text"])
    if event.get("link"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": event["link"]}]
    return card


def approval_card(request: ApprovalCard) -> dict[str, Any]:
    """Approve / Reject as `Action.Submit`, each carrying only its own signed token; the optional
    note is an input the submit merges into the answer's `data`."""
    pending = request.pending
    card = _card("Approval needed", "warning", pending.title, pending.text)
    card["body"].append(
        {
            "type": "TextBlock",
            "text": f"Answer by {request.expires_at:%Y-%m-%d %H:%M} UTC; the first answer counts.",
            "isSubtle": True,
            "wrap": True,
        }
    )
    card["body"].append(
        {
            "type": "Input.Text",
            "id": "note",
            "placeholder": "Reason (shown with a rejection)",
            "isMultiline": True,
            "maxLength": NOTE_MAX,
        }
    )
    actions: list[dict[str, Any]] = [
        {
            "type": "Action.Submit",
            "title": "Approve",
            "data": {"hub_decision": "approve", "hub_token": request.approve_token},
        },
        {
            "type": "Action.Submit",
            "title": "Reject",
            "data": {"hub_decision": "reject", "hub_token": request.reject_token},
        },
    ]
    if request.link:
        actions.append({"type": "Action.OpenUrl", "title": "Open the hub console", "url": request.link})
    card["actions"] = actions
    return card


def teams_message(event: NotificationEvent) -> dict[str, Any]:
    """The webhook body: a `message` whose single attachment is the card (and, for a person's
    card, the `recipient` the manager workflow posts to)."""
    message = wrap(adaptive_card(event))
    if event.get("recipient"):
        message["recipient"] = event["recipient"]
    return message


def wrap(card: dict[str, Any]) -> dict[str, Any]:
    message = {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }
    size = message_size(message)
    if size > MESSAGE_MAX_BYTES:
        raise ConfigError(
            f"a Teams card of {size:,} bytes exceeds the {MESSAGE_MAX_BYTES:,}-byte message limit; "
            "Teams would fail the flow run without telling the hub"
        )
    return message


def message_size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
