"""Sandbox of Teams Workflows webhooks ("When a Teams webhook request is received").

Three workflows, each with its own signed trigger URL, as a deployment sets them up:
- `channel`: the template "Post to a channel when a webhook request is received";
- `manager`: "Post card in a chat or channel" as the Flow bot in a chat with the body's `recipient`;
- `approval`: "Post adaptive card and wait for a response", then an HTTP action that sends the
  answer to the hub (`configure_response` sets where, and the shared secret header it sends).

Each trigger answers like the workflow's HTTP trigger: the `sig` query parameter first (401 with
the Logic Apps error body), then the method, then the body, which must be JSON sent as JSON (400
InvalidRequestContent naming the content type otherwise); an accepted post gets 202 with a run id.
What Teams then makes of it happens in the flow run, which the sender never sees: each post is kept
with `posted` and, when the run failed or the card cannot render, the `problem` as the run history
shows it — a message that is not one Adaptive Card attachment, a card over the 28 KB message limit
("Request Entity too large"), a card version above 1.4 (the flow bot shows "We're sorry, this card
couldn't be displayed"). Buttons nobody listens to are listed in `unreachable_actions`:
Action.Submit outside the approval workflow, Action.Execute anywhere (it needs a bot).

Admin ops: `messages` (what was received), `clear`, `rotate_signature` (an owner regenerates a
URL, so the old one stops working; `workflow` names which), `configure_response`, `respond`
(someone clicks a button of an approval card: the first answer completes the run and the
sandbox sends the HTTP action's request, returning the hub's status and body).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, ClassVar

import requests

from connectors.teams.cards import CARD_CONTENT_TYPE, MESSAGE_MAX_BYTES, message_size
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.server import Request, Response, Router, json_response

_TRIGGER = r"/workflows/(?P<workflow>[0-9a-f]{32})/triggers/manual/paths/invoke"
WORKFLOWS = ("channel", "manager", "approval")
#: the highest Adaptive Card version the Workflows flow bot renders
MAX_CARD_VERSION = (1, 4)


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


class TeamsSandbox(Sandbox):
    name = "teams"
    throttle_path: ClassVar[str] = r"^/workflows/"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workflow_ids = {
            name: hashlib.sha256(f"teams:{self.seed}:{name}".encode()).hexdigest()[:32] for name in WORKFLOWS
        }
        self.workflow_ids["channel"] = hashlib.sha256(f"teams:{self.seed}".encode()).hexdigest()[:32]
        self._generation = 0
        self.signatures = {name: self._new_signature() for name in WORKFLOWS}
        self.messages: list[dict[str, Any]] = []
        #: where the approval workflow's HTTP action sends an answer, with which headers
        self.response_target: dict[str, Any] | None = None

    @property
    def workflow_id(self) -> str:
        return self.workflow_ids["channel"]

    @property
    def signature(self) -> str:
        return self.signatures["channel"]

    def _new_signature(self) -> str:
        self._generation += 1
        return hashlib.sha256(f"sig:{self.seed}:{self._generation}".encode()).hexdigest()[:43]

    def build_routes(self, router: Router) -> None:
        router.add("*", _TRIGGER, self._invoke)

    def _invoke(self, request: Request) -> Response:
        workflow = next((n for n, i in self.workflow_ids.items() if i == request.params["workflow"]), None)
        if workflow is None:
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
        if sig != self.signatures[workflow]:
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
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(
                400,
                "InvalidRequestContent",
                "The input body for trigger 'manual' of type 'Request' must be of type JSON, but was of type "
                f"'{content_type or 'application/octet-stream'}'.",
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
            self.messages.append(
                {
                    "run_id": run_id,
                    "workflow": workflow,
                    "received_at": clock.now().isoformat(),
                    **_read(workflow, body),
                }
            )
        return Response(
            202, b"", {"x-ms-workflow-run-id": run_id, "x-ms-workflow-id": self.workflow_ids[workflow]}
        )

    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op == "messages":
            return [dict(m) for m in self.messages if m["workflow"] == args.get("workflow", m["workflow"])]
        if op == "clear":
            count, self.messages = len(self.messages), []
            return count
        if op == "rotate_signature":
            workflow = args.get("workflow", "channel")
            self.signatures[workflow] = self._new_signature()
            return self.trigger_url(workflow)
        if op == "configure_response":
            self.response_target = {"url": str(args["url"]), "headers": dict(args.get("headers") or {})}
            return True
        if op == "respond":
            return self._respond(str(args["run_id"]), str(args["button"]), str(args["responder"]), args)
        raise ValueError(
            f"unknown teams admin op {op!r}; known: messages, clear, rotate_signature, configure_response, respond"
        )

    def _respond(self, run_id: str, button: str, responder: str, args: dict[str, Any]) -> dict[str, Any]:
        """Someone clicks `button` on an approval card: the flow run's wait completes with the
        Action.Submit's data merged with the card's inputs, and the HTTP action sends the answer."""
        with self.lock:
            run = next((m for m in self.messages if m["run_id"] == run_id), None)
            if run is None or run["workflow"] != "approval" or not run["posted"]:
                raise ValueError(f"no approval card was posted by run {run_id}")
            if run.get("answered_by"):
                raise ValueError(f"run {run_id} already completed: answered by {run['answered_by']}")
            submit = next(
                (a for a in run["actions"] if a.get("type") == "Action.Submit" and a.get("title") == button),
                None,
            )
            if submit is None:
                raise ValueError(f"the card of run {run_id} has no Action.Submit button {button!r}")
            run["answered_by"] = responder
        if self.response_target is None:
            raise ValueError("configure_response first: where the approval workflow's HTTP action posts")
        data = {**dict(args.get("inputs") or {}), **(submit.get("data") or {})}
        # the HTTP action's body, as connectors/teams/README.md tells the flow's owner to write it
        body = {
            "token": data.get("hub_token"),
            "decision": data.get("hub_decision"),
            "note": data.get("note", ""),
            "responder": responder,
        }
        answer = requests.post(
            self.response_target["url"], json=body, headers=self.response_target["headers"], timeout=30
        )
        return {"status": answer.status_code, "body": answer.text, "sent": body}

    def trigger_url(self, workflow: str) -> str:
        return (
            f"{self.url}/workflows/{self.workflow_ids[workflow]}/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={self.signatures[workflow]}"
        )

    @property
    def webhook_url(self) -> str:
        return self.trigger_url("channel")

    def instance_config(self) -> dict[str, Any]:
        return {"webhook_url": self.webhook_url, "ca_bundle": self.ca_path}

    def bad_credentials(self) -> dict[str, Any]:
        return {"webhook_url": self.webhook_url.replace(self.signature, "0" * len(self.signature))}


def _read(workflow: str, body: Any) -> dict[str, Any]:
    """What the flow run makes of a posted body: the card's texts, or why the run fails."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return {"posted": False, "problem": "body is not a message with attachments", "body": body}
    attachments = body.get("attachments") or []
    if any(isinstance(a, dict) and a.get("contentType") != CARD_CONTENT_TYPE for a in attachments):
        return {
            "posted": False,
            "problem": "The specified Teams flowbot adaptive card request is missing or invalid "
            f"(an attachment's contentType is not {CARD_CONTENT_TYPE})",
            "body": body,
        }
    cards = [a.get("content") for a in attachments if isinstance(a, dict)]
    if len(cards) != 1 or not isinstance(cards[0], dict):
        return {"posted": False, "problem": "expected exactly one Adaptive Card attachment", "body": body}
    card = cards[0]
    if card.get("type") != "AdaptiveCard":
        return {"posted": False, "problem": "Property 'type' must be 'AdaptiveCard'", "body": body}
    if message_size(body) > MESSAGE_MAX_BYTES:
        return {"posted": False, "problem": "Request Entity too large", "size": message_size(body)}
    if _version(card.get("version")) > MAX_CARD_VERSION or _version(card.get("version")) < (1, 0):
        return {
            "posted": False,
            "problem": f"We're sorry, this card couldn't be displayed (version {card.get('version')!r})",
            "body": body,
        }
    recipient = body.get("recipient")
    if workflow == "manager" and not (isinstance(recipient, str) and "@" in recipient):
        return {
            "posted": False,
            "problem": "Recipient is required: the body has no `recipient`",
            "body": body,
        }
    actions = card.get("actions") or []
    listening = {"Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"}
    if workflow == "approval":
        listening.add("Action.Submit")
    return {
        "posted": True,
        "texts": _texts(card.get("body") or []),
        "actions": actions,
        "unreachable_actions": [a.get("type") for a in actions if a.get("type") not in listening],
        "recipient": recipient if workflow == "manager" else None,
        "card": card,
    }


def _version(value: Any) -> tuple[int, int]:
    try:
        major, minor = str(value).split(".")
        return int(major), int(minor)
    except ValueError:
        return (-1, -1)


def _texts(elements: list[Any]) -> list[str]:
    out: list[str] = []
    for element in elements:
        if isinstance(element, dict):
            if element.get("type") == "TextBlock":
                out.append(str(element.get("text", "")))
            out.extend(_texts(element.get("items") or []))
    return out
