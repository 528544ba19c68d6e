"""Sandbox of a Teams Workflows webhook ("When a Teams webhook request is received").

It answers like the workflow's HTTP trigger: the `sig` query parameter is checked first (401
with the Logic Apps error body), then the method and the JSON body; an accepted post gets 202
with a run id. Each post is kept for inspection with what Teams would make of it: a message
with an Adaptive Card attachment is `posted`; anything else makes the flow run fail in Teams,
which the sender never sees (`posted: false` with the reason).

Admin ops: `messages` (what was received), `clear`, `rotate_signature` (an owner regenerates
the URL, so the old one stops working).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, ClassVar

from connectors.teams.cards import CARD_CONTENT_TYPE
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.server import Request, Response, Router, json_response

_TRIGGER = r"/workflows/(?P<workflow>[0-9a-f]{32})/triggers/manual/paths/invoke"


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


class TeamsSandbox(Sandbox):
    name = "teams"
    throttle_path: ClassVar[str] = r"^/workflows/"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workflow_id = hashlib.sha256(f"teams:{self.seed}".encode()).hexdigest()[:32]
        self._generation = 0
        self.signature = self._new_signature()
        self.messages: list[dict[str, Any]] = []

    def _new_signature(self) -> str:
        self._generation += 1
        return hashlib.sha256(f"sig:{self.seed}:{self._generation}".encode()).hexdigest()[:43]

    def build_routes(self, router: Router) -> None:
        router.add("*", _TRIGGER, self._invoke)

    def _invoke(self, request: Request) -> Response:
        if request.params["workflow"] != self.workflow_id:
            return _error(
                404, "WorkflowNotFound", f"The workflow '{request.params['workflow']}' could not be found."
            )
        sig = request.arg("sig")
        if not sig:
            return _error(
                401,
                "DirectApiAuthorizationRequired",
                "The request must be authenticated only by Shared Access scheme.",
            )
        if sig != self.signature:
            return _error(
                401,
                "DirectApiInvalidAuthorizationSignature",
                "The provided authorization signature is not valid.",
            )
        if request.method != "POST":
            return _error(
                400,
                "TriggerRequestMethodNotValid",
                f"The HTTP method for this request is not valid: expected 'Post' and actual '{request.method}'.",
            )
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _error(
                400,
                "InvalidRequestContent",
                "The input body for trigger 'manual' of type 'Request' must be of type JSON, but was of type "
                "'application/octet-stream'.",
            )
        run_id = f"08584{uuid.UUID(int=len(self.messages) + 1).hex[-15:]}CU00"
        with self.lock:
            self.messages.append({"run_id": run_id, "received_at": clock.now().isoformat(), **_read(body)})
        return Response(202, b"", {"x-ms-workflow-run-id": run_id, "x-ms-workflow-id": self.workflow_id})

    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op == "messages":
            return [dict(m) for m in self.messages]
        if op == "clear":
            count, self.messages = len(self.messages), []
            return count
        if op == "rotate_signature":
            self.signature = self._new_signature()
            return self.webhook_url
        raise ValueError(f"unknown teams admin op {op!r}; known: messages, clear, rotate_signature")

    @property
    def webhook_url(self) -> str:
        return (
            f"{self.url}/workflows/{self.workflow_id}/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={self.signature}"
        )

    def instance_config(self) -> dict[str, Any]:
        return {"webhook_url": self.webhook_url, "ca_bundle": self.ca_path}

    def bad_credentials(self) -> dict[str, Any]:
        return {"webhook_url": self.webhook_url.replace(self.signature, "0" * len(self.signature))}


def _read(body: Any) -> dict[str, Any]:
    """What Teams makes of a posted body: the card's texts, or why the flow run fails."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return {"posted": False, "problem": "body is not a message with attachments", "body": body}
    cards = [
        a.get("content") for a in body.get("attachments") or [] if a.get("contentType") == CARD_CONTENT_TYPE
    ]
    if len(cards) != 1 or not isinstance(cards[0], dict) or cards[0].get("type") != "AdaptiveCard":
        return {"posted": False, "problem": "expected exactly one Adaptive Card attachment", "body": body}
    card = cards[0]
    return {
        "posted": True,
        "texts": _texts(card.get("body") or []),
        "actions": card.get("actions") or [],
        "card": card,
    }


def _texts(elements: list[Any]) -> list[str]:
    out: list[str] = []
    for element in elements:
        if isinstance(element, dict):
            if element.get("type") == "TextBlock":
                out.append(str(element.get("text", "")))
            out.extend(_texts(element.get("items") or []))
    return out
