"""Notification events as Teams messages carrying one Adaptive Card.

Workflows webhooks accept Adaptive Cards only (not the legacy MessageCard format), wrapped in a
`message` with one attachment; version 1.4 renders in every Teams client. Text is cut short:
Teams rejects messages over about 28 KB and a card is a pointer, not a log.
"""

from __future__ import annotations

from typing import Any

from core.connector.sink import NotificationEvent

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
TITLE_MAX = 200
TEXT_MAX = 2_000

#: per event kind: a label shown above the title and the container style (colour) of the card
KINDS: dict[str, tuple[str, str]] = {
    "ticket_opened": ("Ticket opened", "accent"),
    "ticket_overdue": ("Ticket overdue", "attention"),
    "ticket_closed": ("Ticket closed", "good"),
    "run_failed": ("Hub run failed", "attention"),
    "intent_dead": ("Ticket delivery gave up", "attention"),
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def adaptive_card(event: NotificationEvent) -> dict[str, Any]:
    label, style = KINDS.get(event["kind"], (event["kind"].replace("_", " ").capitalize(), "default"))
    card: dict[str, Any] = {
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
                        "text": _clip(event["title"], TITLE_MAX),
                        "size": "Medium",
                        "weight": "Bolder",
                        "wrap": True,
                    },
                ],
            },
            {"type": "TextBlock", "text": _clip(event["text"], TEXT_MAX), "wrap": True},
        ],
    }
    if event.get("link"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": event["link"]}]
    return card


def teams_message(event: NotificationEvent) -> dict[str, Any]:
    """The webhook body: a `message` whose single attachment is the card."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": adaptive_card(event)}
        ],
    }
