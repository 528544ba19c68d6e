"""Sandbox of a Jira Service Management Cloud site: requests, sub-tasks, JQL search, transitions.

Seeded with the demo organisation's people as existing requests (raised by other channels, no
hub key) so a key search has noise to get wrong. Error bodies follow Jira: `errorMessages` /
`errors` on the platform API, `errorMessage` / `i18nErrorMessage` on the service desk API.
Admin ops play the agent (start work, resolve, close, cancel).
"""

from __future__ import annotations

import base64
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.jira_sm.sandbox.model import (
    KEY_FIELD,
    PROJECT,
    REQUEST_TYPE_ISSUE,
    STATUSES,
    SUBTASK_TYPE,
    Issue,
)
from connectors.jira_sm.sandbox.platform import PlatformApi
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.org import roster
from core.sandbox.server import Request, Response, Router, json_response

ACCOUNTS = {"svc-itsm-hub@agency.example.gov": "ATATT3xSbxHubToken0007"}
SERVICE_DESK = "4"
REQUEST_TYPES = {  # id -> (name, fields the request type shows)
    "41": (
        "Onboard or offboard a worker",
        {"summary", "description", "duedate", "labels", KEY_FIELD, "priority"},
    ),
    "42": ("Get IT help", {"summary", "description"}),
}
AGENT = "service.desk.agent"


def desk_error(status: int, message: str) -> Response:
    return json_response(
        {"errorMessage": message, "i18nErrorMessage": {"i18nKey": "sd.error", "parameters": []}}, status
    )


def adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.split("\n")
        ],
    }


def plain(doc: Any) -> str:
    if not isinstance(doc, dict):
        return str(doc or "")
    return "\n".join("".join(n.get("text", "") for n in b.get("content", [])) for b in doc.get("content", []))


class JiraSandbox(PlatformApi, Sandbox):
    name = "jira_sm"
    throttle_path: ClassVar[str] = r"^/rest/"
    task_path: ClassVar[str] = r"^/rest/api/3/issue$"
    #: the request that opens a ticket (the sink kit's applied-then-failed faults fire on it)
    create_path: ClassVar[str] = r"^/rest/servicedeskapi/request$"
    create_method: ClassVar[str] = "POST"
    contract_scale = 20

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issues: dict[str, Issue] = {}
        self._next_id, self._next_number = 10000, 0
        self.rate_limit: tuple[int, float] | None = None  # (requests, window seconds)
        #: seconds a new issue stays out of JQL results, as Jira's search index lags a create
        self.search_lag = 0.0
        self._window: tuple[float, int] = (time.time(), 0)
        rng = random.Random(self.seed)
        for person in roster(self.seed, self.scale)[: max(3, self.scale // 3)]:
            issue = self._new_issue(
                REQUEST_TYPE_ISSUE,
                f"{person.display_name}: {rng.choice(['New monitor', 'Badge access', 'Shared drive'])}",
            )
            issue.description = adf("Raised on the portal.")
            issue.status = rng.choice(["Waiting for support", "In Progress", "Closed"])

    def _new_issue(self, issuetype: str, summary: str) -> Issue:
        self._next_id += 1
        self._next_number += 1
        stamp = (clock.now() + timedelta(milliseconds=self._next_number)).strftime("%Y-%m-%dT%H:%M:%S.%f")[
            :23
        ] + "+0000"
        issue = Issue(
            id=str(self._next_id),
            key=f"{PROJECT}-{self._next_number}",
            project=PROJECT,
            issuetype=issuetype,
            summary=summary,
            created=stamp,
            updated=stamp,
            status="To Do" if issuetype == SUBTASK_TYPE else "Waiting for support",
        )
        issue.indexed_at = time.monotonic() + self.search_lag
        self.issues[issue.id] = issue
        return issue

    # -- API -----------------------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        router.add(
            "GET",
            r"/rest/servicedeskapi/servicedesk/(?P<sd>\d+)/requesttype/(?P<rt>\d+)",
            self._guarded(self._request_type),
        )
        router.add("POST", r"/rest/servicedeskapi/request", self._guarded(self._create_request))
        router.add(
            "POST",
            r"/rest/servicedeskapi/request/(?P<issue>[A-Z0-9-]+)/comment",
            self._guarded(self._comment),
        )
        router.add("POST", r"/rest/api/3/search/jql", self._guarded(self._search))
        router.add("POST", r"/rest/api/3/issue", self._guarded(self._create_issue))
        router.add("GET", r"/rest/api/3/issue/(?P<issue>[A-Z0-9-]+)", self._guarded(self._get_issue))
        router.add("PUT", r"/rest/api/3/issue/(?P<issue>[A-Z0-9-]+)", self._guarded(self._edit_issue))
        router.add(
            "GET", r"/rest/api/3/issue/(?P<issue>[A-Z0-9-]+)/transitions", self._guarded(self._transitions)
        )
        router.add(
            "POST", r"/rest/api/3/issue/(?P<issue>[A-Z0-9-]+)/transitions", self._guarded(self._transition)
        )

    def _guarded(self, handler: Any) -> Any:
        def run(request: Request) -> Response:
            header = request.header("authorization") or ""
            try:
                email, _, token = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                email, token = "", ""
            if not header.lower().startswith("basic ") or ACCOUNTS.get(email) != token:
                return Response(
                    401,
                    b"Client must be authenticated to access this resource.",
                    {"Content-Type": "text/plain"},
                )
            limited = self._throttle()
            if limited is not None:
                return limited
            with self.lock:
                return handler(request)

        return run

    def _throttle(self) -> Response | None:
        if self.rate_limit is None:
            return None
        limit, window = self.rate_limit
        with self.lock:
            started, count = self._window
            if time.time() - started >= window:
                started, count = time.time(), 0
            self._window = (started, count + 1)
        if count < limit:
            return None
        reset = (
            datetime.fromtimestamp(started + window, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        headers = {
            "Retry-After": str(max(1, int(started + window - time.time()) + 1)),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "RateLimit-Reason": "jira-burst-based",
        }
        return Response(429, b"Rate limit exceeded.", {"Content-Type": "text/plain", **headers})

    def _issue(self, ref: str) -> Issue | None:
        if ref in self.issues:
            return self.issues[ref]
        return next((i for i in self.issues.values() if i.key == ref), None)

    def _request_type(self, request: Request) -> Response:
        found = REQUEST_TYPES.get(request.params["rt"])
        if request.params["sd"] != SERVICE_DESK or found is None:
            return desk_error(404, "The request type you are trying to view does not exist.")
        return json_response(
            {
                "id": request.params["rt"],
                "name": found[0],
                "serviceDeskId": SERVICE_DESK,
                "issueTypeId": REQUEST_TYPE_ISSUE,
                "helpText": "",
                "groupIds": ["1"],
            }
        )

    def _create_request(self, request: Request) -> Response:
        body = request.json() or {}
        if str(body.get("serviceDeskId")) != SERVICE_DESK:
            return desk_error(404, f"The service desk with ID {body.get('serviceDeskId')} does not exist.")
        found = REQUEST_TYPES.get(str(body.get("requestTypeId")))
        if found is None:
            return desk_error(400, "The request type you are trying to create a request in does not exist.")
        values = body.get("requestFieldValues") or {}
        for name in values:
            if name not in found[1]:
                return desk_error(400, f"The field '{name}' is not valid for the request type '{found[0]}'.")
        problem = self._check_values(values, plain_description=True)
        if problem or not values.get("summary"):
            return desk_error(400, problem or "Summary: You must specify a summary of the issue.")
        issue = self._new_issue(REQUEST_TYPE_ISSUE, str(values["summary"]))
        self._apply(issue, {**values, "description": adf(str(values.get("description", "")))})
        web = f"{self.url}/servicedesk/customer/portal/{SERVICE_DESK}/{issue.key}"
        # CustomerRequest dates are DateDTOs {iso8601, jira, friendly, epochMillis}
        # (https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/)
        millis = int(time.time() * 1000)
        created_date = {
            "iso8601": issue.created,
            "jira": issue.created,
            "friendly": "Today",
            "epochMillis": millis,
        }
        return json_response(
            {
                "_expands": ["participant", "status", "sla", "requestType", "serviceDesk"],
                "issueId": issue.id,
                "issueKey": issue.key,
                "requestTypeId": str(body["requestTypeId"]),
                "serviceDeskId": SERVICE_DESK,
                "createdDate": created_date,
                "reporter": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": next(iter(ACCOUNTS))},
                "requestFieldValues": [
                    {"fieldId": k, "label": k.title(), "value": v} for k, v in values.items()
                ],
                "currentStatus": {
                    "status": issue.status,
                    "statusCategory": "NEW",
                    "statusDate": created_date,
                },
                "_links": {
                    "jiraRest": f"{self.url}/rest/api/2/issue/{issue.id}",
                    "web": web,
                    "agent": f"{self.url}/browse/{issue.key}",
                    "self": f"{self.url}/rest/servicedeskapi/request/{issue.id}",
                },
            },
            201,
        )

    def _comment(self, request: Request) -> Response:
        issue = self._issue(request.params["issue"])
        if issue is None:
            return desk_error(404, "The request could not be found.")
        body = request.json() or {}
        comment = {
            "id": str(len(issue.comments) + 1),
            "body": str(body.get("body", "")),
            "public": bool(body.get("public", True)),
        }
        issue.comments.append(comment)
        return json_response(comment, 201)

    # -- the service desk ------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op == "tickets_with_key":
            return sum(
                1
                for i in self.issues.values()
                if i.issuetype != SUBTASK_TYPE and self._key_of(i) == args["key"]
            )
        if op == "set_search_lag":
            self.search_lag = float(args.get("seconds", 0))
            return self.search_lag
        if op == "set_rate_limit":
            self.rate_limit = (
                (int(args["requests"]), float(args.get("window_seconds", 10)))
                if args.get("requests")
                else None
            )
            self._window = (time.time(), 0)
            return self.rate_limit
        issue = self._issue(str(args.get("external_id", "")))
        if issue is None or issue.issuetype == SUBTASK_TYPE:
            raise ValueError(f"no request with id {args.get('external_id')!r}")
        steps = {
            "start_work": ["11"],
            "resolve_ticket": ["21"],
            "close_ticket": ["21", "61"],
            "cancel_ticket": ["31"],
        }
        if op == "describe_ticket":
            return self._describe(issue)
        if op in steps:
            if op != "start_work":
                for sub in (self.issues[s] for s in issue.subtasks):
                    self._move(sub, "31" if op != "cancel_ticket" else "41")
            for step in steps[op]:
                if not self._move(issue, step):
                    raise ValueError(
                        f"{op}: {issue.key} is {issue.status!r}; transition {step} is not available"
                    )
            return issue.status
        raise ValueError(
            f"unknown jira_sm admin op {op!r}; known: tickets_with_key, describe_ticket, set_rate_limit, {', '.join(steps)}"
        )

    @staticmethod
    def _key_of(issue: Issue) -> str | None:
        if issue.custom.get(KEY_FIELD):
            return str(issue.custom[KEY_FIELD])
        return next((label[4:] for label in issue.labels if label.startswith("hub-")), None)

    def _describe(self, issue: Issue) -> dict[str, Any]:
        def task_state(sub: Issue) -> str:
            category = STATUSES[sub.status][1]
            return "open" if category != "done" else ("cancelled" if sub.status == "Canceled" else "closed")

        return {
            "key": self._key_of(issue),
            "title": issue.summary,
            "due": issue.duedate or "",
            "tasks": [
                {"title": s.summary, "state": task_state(s)} for s in (self.issues[i] for i in issue.subtasks)
            ],
            "notes": [c["body"] for c in issue.comments],
            "state": issue.status,
            "issue_key": issue.key,
            "description": plain(issue.description),
            "labels": issue.labels,
            "priority": issue.priority,
        }

    def instance_config(self) -> dict[str, Any]:
        email = next(iter(ACCOUNTS))
        return {
            "site_url": self.url,
            "email": email,
            "api_token": ACCOUNTS[email],
            "project_key": PROJECT,
            "service_desk_id": SERVICE_DESK,
            "request_type_id": "41",
            "subtask_issue_type_id": SUBTASK_TYPE,
            "priority_ids": {"urgent": "2", "normal": "3"},
            "ca_bundle": self.ca_path,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"api_token": "ATATT3xWrongToken"}
