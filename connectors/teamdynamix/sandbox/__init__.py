"""Sandbox of a TeamDynamix tenant's Web API: admin login, tickets, tasks, feeds, search, limits.

Faithful where it bites: per-method rate limits (60 calls per 60 s by default) answered with 429
and only `X-RateLimit-Reset` (RFC 1123, no Retry-After), limit headers on every limited call;
search results omit custom attributes (a caller must read the ticket to check a value); text
attribute filters match loosely; errors are ASP.NET `{"Message": ...}` bodies. Seeded from the
demo organisation (departments as accounts, people as users, their existing tickets).
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any, ClassVar

from connectors.teamdynamix.sandbox.data import (
    ATTRIBUTES,
    GROUPS,
    KEY_ATTRIBUTE,
    OTHER_APP_ATTRIBUTE,
    OTHER_APP_ID,
    PRIORITIES,
    REQUESTOR_UID,
    STATUSES,
    TYPES,
    accounts,
    apply_patch,
)
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.org import roster
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

BEID, WEB_SERVICES_KEY = "3b6f1c2a-8d4e-4f5a-9b7c-0d1e2f3a4b5c", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
APP_ID = 41
APP_NAME = "IT Tickets"
PREFIX = "/TDWebApi/api"


def message(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"Message": text}, status, headers)


class TeamDynamixSandbox(Sandbox):
    name = "teamdynamix"
    throttle_path: ClassVar[str] = r"^/TDWebApi/api/\d+/tickets"
    task_path: ClassVar[str] = r"^/TDWebApi/api/\d+/tickets/\d+/tasks$"
    #: the request that opens a ticket (the sink kit's applied-then-failed faults fire on it)
    create_path: ClassVar[str] = r"^/TDWebApi/api/\d+/tickets$"
    create_method: ClassVar[str] = "POST"
    cancelled_task_reads_as: ClassVar[str] = "closed"
    contract_scale = 20

    def __init__(self, *, rate_limit: tuple[int, float] | None = (60, 60.0), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = TokenStore(ttl_seconds=86400)
        self.rate_limit = rate_limit
        self._windows: dict[str, tuple[float, int]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.tasks: dict[int, list[dict[str, Any]]] = {}
        self.feeds: dict[int, list[dict[str, Any]]] = {}
        self.accounts = accounts()
        self.people: dict[str, str] = {REQUESTOR_UID: "IT Integration Service Account"}
        self._next_ticket, self._next_task = 31000, 9000
        rng = random.Random(self.seed)
        for person in roster(self.seed, self.scale):
            self.people[str(uuid.uuid5(uuid.NAMESPACE_URL, person.employee_id))] = person.display_name
        for uid, display in list(self.people.items())[1 : max(4, self.scale // 3)]:
            self._new_ticket(
                {
                    "TypeID": 402, "Title": f"{display}: {rng.choice(['Laptop slow', 'Password reset', 'New badge'])}",
                    "AccountID": next(iter(self.accounts)), "StatusID": rng.choice([101, 103, 106]),
                    "PriorityID": 19, "RequestorUid": uid, "Description": "Submitted through the client portal.",
                },
            )  # fmt: skip

    # -- routing, auth and limits ----------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        router.add("POST", PREFIX + r"/auth/loginadmin", self._login)
        app = PREFIX + r"/(?P<app>\d+)/tickets"
        routes = [
            ("GET", app + r"/statuses", self._statuses),
            ("GET", PREFIX + r"/attributes/custom", self._attributes),
            ("POST", PREFIX + r"/groups/search", self._groups),
            ("POST", app, self._create),
            ("POST", app + r"/search", self._search),
            ("GET", app + r"/(?P<id>\d+)", self._get),
            ("PATCH", app + r"/(?P<id>\d+)", self._patch),
            ("POST", app + r"/(?P<id>\d+)/feed", self._feed),
            ("GET", app + r"/(?P<id>\d+)/tasks", self._list_tasks),
            ("POST", app + r"/(?P<id>\d+)/tasks", self._add_task),
            ("POST", app + r"/(?P<id>\d+)/tasks/(?P<task>\d+)/feed", self._task_feed),
        ]
        for method, pattern, handler in routes:
            router.add(method, pattern, self._limited(f"{method} {pattern}", handler))

    def _login(self, request: Request) -> Response:
        body = request.json() or {}
        if body.get("BEID") != BEID or body.get("WebServicesKey") != WEB_SERVICES_KEY:
            return message(401, "Invalid BEID or web services key.")
        token, _ = self.tokens.issue(prefix="eyJhbGciOiJIUzI1NiJ9")
        return Response(200, token.encode(), {"Content-Type": "text/plain; charset=utf-8"})

    def _limited(self, route: str, handler: Any) -> Any:
        def run(request: Request) -> Response:
            if self.tokens.verdict(request.header("authorization"), request.sandbox_state) != "ok":
                return message(401, "Authorization has been denied for this request.")
            headers = self._window(route)
            if headers.get("X-RateLimit-Remaining") == "-1":
                headers["X-RateLimit-Remaining"] = "0"
                return message(429, "Rate limit exceeded.", headers)
            if "app" in request.params and int(request.params["app"]) != APP_ID:
                return message(
                    403, f"You do not have access to application {request.params['app']}.", headers
                )
            with self.lock:
                response = handler(request)
            response.headers.update(headers)
            return response

        return run

    def _window(self, route: str) -> dict[str, str]:
        if self.rate_limit is None:
            return {}
        limit, seconds = self.rate_limit
        with self.lock:
            started, used = self._windows.get(route, (time.time(), 0))
            if time.time() - started >= seconds:
                started, used = time.time(), 0
            used += 1
            self._windows[route] = (started, used)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - used) if used <= limit else "-1",
            "X-RateLimit-Reset": formatdate(started + seconds, usegmt=True),
        }

    # -- tickets ---------------------------------------------------------------------------
    def _new_ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        self._next_ticket += 1
        now = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        ticket = {
            "ID": self._next_ticket, "AppID": APP_ID, "FormID": 0, "Description": "", "EndDate": None,
            "ResponsibleGroupID": 0, "Attributes": [], "CreatedDate": now, "ModifiedDate": now,
            "Uri": f"api/{APP_ID}/tickets/{self._next_ticket}", **body,
        }  # fmt: skip
        self.tickets[ticket["ID"]] = ticket
        self.tasks[ticket["ID"]], self.feeds[ticket["ID"]] = [], []
        self._names(ticket)
        return ticket

    def _names(self, ticket: dict[str, Any]) -> None:
        status = STATUSES[ticket["StatusID"]]
        ticket.update(
            StatusName=status["Name"],
            StatusClass=status["StatusClass"],
            TypeName=TYPES.get(ticket["TypeID"], ""),
            AccountName=self.accounts.get(ticket["AccountID"], ""),
            PriorityName=PRIORITIES.get(ticket["PriorityID"], ""),
            RequestorName=self.people.get(str(ticket.get("RequestorUid")), ""),
            ResponsibleGroupName=GROUPS.get(ticket.get("ResponsibleGroupID") or 0, ("", True))[0],
            ModifiedDate=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def _invalid(self, body: dict[str, Any], *, allow_requestor_creation: bool) -> str | None:
        checks = [
            (body.get("TypeID") in TYPES, f"Ticket type {body.get('TypeID')} is not valid."),
            (
                body.get("AccountID") in self.accounts,
                f"Account/department {body.get('AccountID')} is not valid.",
            ),
            (
                STATUSES.get(body.get("StatusID") or 0, {}).get("IsActive"),
                f"Status {body.get('StatusID')} is not valid.",
            ),
            (body.get("PriorityID") in PRIORITIES, f"Priority {body.get('PriorityID')} is not valid."),
            (bool(body.get("Title")), "Title is required."),
            (allow_requestor_creation or body.get("RequestorUid") in self.people, "Requestor is not valid."),
            (
                GROUPS.get(body.get("ResponsibleGroupID") or 0, ("", True))[1],
                "Responsible group is not active.",
            ),
        ]
        for attribute in body.get("Attributes") or []:
            checks.append(
                (
                    attribute.get("ID") in ATTRIBUTES,
                    f"Custom attribute {attribute.get('ID')} is not valid for tickets.",
                )
            )
        return next((text for ok, text in checks if not ok), None)

    def _create(self, request: Request) -> Response:
        body = request.json() or {}
        problem = self._invalid(
            body, allow_requestor_creation=request.arg("AllowRequestorCreation") == "true"
        )
        if problem:
            return message(400, problem)
        attributes = [
            {
                "ID": a["ID"],
                "Name": ATTRIBUTES[a["ID"]],
                "Value": str(a.get("Value", "")),
                "ValueText": str(a.get("Value", "")),
            }
            for a in body.get("Attributes") or []
        ]
        ticket = self._new_ticket({**body, "Attributes": attributes})
        return json_response(ticket, 201)

    def _search(self, request: Request) -> Response:
        body = request.json() or {}
        found = list(self.tickets.values())
        for condition in body.get("CustomAttributes") or []:
            wanted = str(condition.get("Value", "")).lower()
            found = [
                t
                for t in found
                if any(
                    a["ID"] == condition.get("ID") and wanted in a["Value"].lower() for a in t["Attributes"]
                )
            ]
        if body.get("StatusClassIDs"):
            found = [t for t in found if t["StatusClass"] in body["StatusClassIDs"]]
        found.sort(key=lambda t: t["ID"], reverse=True)
        listing = [
            {k: v for k, v in t.items() if k != "Attributes"}
            for t in found[: int(body.get("MaxResults") or 50)]
        ]
        return json_response(listing)

    def _ticket(self, request: Request) -> dict[str, Any] | None:
        return self.tickets.get(int(request.params["id"]))

    def _get(self, request: Request) -> Response:
        ticket = self._ticket(request)
        return json_response(ticket) if ticket else message(404, "Ticket not found.")

    def _patch(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket is None:
            return message(404, "Ticket not found.")
        try:
            changed = apply_patch(dict(ticket), request.json() or [])
        except ValueError as exc:
            return message(400, str(exc))
        problem = self._invalid(changed, allow_requestor_creation=False)
        if problem:
            return message(400, problem)
        ticket.update(changed)
        self._names(ticket)
        return json_response(ticket)

    def _feed(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket is None:
            return message(404, "Ticket not found.")
        body = request.json() or {}
        new_status = body.get("NewStatusID") or 0
        if new_status and not STATUSES.get(new_status, {}).get("IsActive"):
            return message(400, f"Status {new_status} is not valid.")
        if new_status:
            ticket["StatusID"] = new_status
            self._names(ticket)
        entry = {
            "ID": len(self.feeds[ticket["ID"]]) + 1,
            "Body": str(body.get("Comments", "")),
            "IsPrivate": bool(body.get("IsPrivate")),
            "CreatedFullName": "IT Integration Service Account",
        }
        self.feeds[ticket["ID"]].append(entry)
        return json_response(entry)

    def _list_tasks(self, request: Request) -> Response:
        ticket = self._ticket(request)
        return json_response(self.tasks[ticket["ID"]]) if ticket else message(404, "Ticket not found.")

    def _add_task(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket is None:
            return message(404, "Ticket not found.")
        body = request.json() or {}
        if not body.get("Title"):
            return message(400, "Title is required.")
        self._next_task += 1
        task = {
            "ID": self._next_task, "TicketID": ticket["ID"], "AppID": APP_ID, "Title": str(body["Title"])[:300],
            "Description": body.get("Description") or "", "StartDate": body.get("StartDate"), "EndDate": body.get("EndDate"),
            "PercentComplete": 0, "CompletedDate": None, "CompletedFullName": "", "Order": len(self.tasks[ticket["ID"]]) + 1,
            "ResponsibleGroupID": body.get("ResponsibleGroupID") or 0, "Feed": [],
        }  # fmt: skip
        self.tasks[ticket["ID"]].append(task)
        return json_response(task, 201)

    def _task_feed(self, request: Request) -> Response:
        ticket = self._ticket(request)
        task = next(
            (
                t
                for t in self.tasks.get(int(request.params["id"]), [])
                if t["ID"] == int(request.params["task"])
            ),
            None,
        )
        if ticket is None or task is None:
            return message(404, "Ticket task not found.")
        body = request.json() or {}
        percent = body.get("PercentComplete")
        if percent is not None:
            if not 0 <= int(percent) <= 100:
                return message(400, "Percent complete must be between 0 and 100.")
            task["PercentComplete"] = int(percent)
            task["CompletedDate"] = (
                datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if int(percent) == 100 else None
            )
        task["Feed"].append(str(body.get("Comments", "")))
        return json_response({"ID": len(task["Feed"]), "Body": str(body.get("Comments", ""))})

    def _statuses(self, request: Request) -> Response:
        # TicketStatus (https://solutions.teamdynamix.com/TDWebApi/Home/type/TeamDynamix.Api.Tickets.TicketStatus)
        return json_response(
            [{"AppID": APP_ID, "AppName": APP_NAME, "Description": "", **s} for s in STATUSES.values()]
        )

    def _attributes(self, request: Request) -> Response:
        """Ticket attributes belong to one ticketing application: `appId` (default 0, no
        application) selects them, so a call without it lists none of the app's attributes
        (https://solutions.teamdynamix.com/TDWebApi/Home/section/Attributes)."""
        component, app = request.arg("componentId"), request.arg("appId") or "0"
        if component is None or not component.isdigit() or not app.isdigit():
            return message(400, "componentId and appId must be integers.")
        if component != "9":
            return json_response([])
        owned = {APP_ID: ATTRIBUTES, OTHER_APP_ID: {OTHER_APP_ATTRIBUTE: "Other app reference"}}
        return json_response(
            [
                {  # CustomAttribute (…/TeamDynamix.Api.CustomAttributes.CustomAttribute)
                    "ID": i,
                    "Name": n,
                    "Order": order,
                    "Description": "",
                    "SectionID": 0,
                    "SectionName": None,
                    "FieldType": "textbox",
                    "DataType": "String",
                    "Choices": [],
                    "IsRequired": False,
                    "IsUpdatable": True,
                    "IsActive": True,
                    "Value": None,
                    "ValueText": None,
                    "ChoicesText": "",
                    "AssociatedItemIDs": [0],
                }
                for order, (i, n) in enumerate(owned.get(int(app), {}).items())
            ]
        )

    def _groups(self, request: Request) -> Response:
        body = request.json() or {}
        like = str(body.get("NameLike") or "").lower()
        active = body.get("IsActive")
        found = [
            {"ID": gid, "Name": name, "IsActive": ok}
            for gid, (name, ok) in GROUPS.items()
            if gid and like in name.lower() and (active is None or ok == active)
        ]
        return json_response(found)

    # -- the service desk ------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op == "tickets_with_key":
            return sum(
                1
                for t in self.tickets.values()
                if any(a["ID"] == KEY_ATTRIBUTE and a["Value"] == args["key"] for a in t["Attributes"])
            )
        if op == "set_rate_limit":
            self.rate_limit = (
                (int(args["limit"]), float(args.get("window_seconds", 60))) if args.get("limit") else None
            )
            self._windows.clear()
            return self.rate_limit
        ticket = self.tickets.get(int(args.get("external_id") or 0))
        if ticket is None:
            raise ValueError(f"no ticket with ID {args.get('external_id')!r}")
        statuses = {"start_work": 103, "resolve_ticket": 105, "close_ticket": 106, "cancel_ticket": 107}
        if op == "describe_ticket":
            return self._describe(ticket)
        if op in statuses:
            if op != "start_work":
                for task in self.tasks[ticket["ID"]]:
                    task["PercentComplete"] = 100
            ticket["StatusID"] = statuses[op]
            self._names(ticket)
            return ticket["StatusName"]
        raise ValueError(
            f"unknown teamdynamix admin op {op!r}; known: tickets_with_key, describe_ticket, set_rate_limit, {', '.join(statuses)}"
        )

    def _describe(self, ticket: dict[str, Any]) -> dict[str, Any]:
        key = next((a["Value"] for a in ticket["Attributes"] if a["ID"] == KEY_ATTRIBUTE), None)
        return {
            "key": key,
            "title": ticket["Title"],
            "due": ticket["EndDate"] or "",
            "tasks": [
                {"title": t["Title"], "state": "closed" if t["PercentComplete"] == 100 else "open"}
                for t in self.tasks[ticket["ID"]]
            ],
            "notes": [e["Body"] for e in self.feeds[ticket["ID"]]]
            + [c for t in self.tasks[ticket["ID"]] for c in t["Feed"]],
            "state": ticket["StatusName"],
            "description": ticket["Description"],
            "priority": ticket["PriorityName"],
            "group": ticket["ResponsibleGroupName"],
        }

    def instance_config(self) -> dict[str, Any]:
        return {
            "base_url": f"{self.url}/TDWebApi",
            "beid": BEID,
            "web_services_key": WEB_SERVICES_KEY,
            "app_id": APP_ID,
            "type_id": 401,
            "account_id": next(
                aid for aid, name in self.accounts.items() if name == "Information Technology"
            ),
            "requestor_uid": REQUESTOR_UID,
            "key_attribute_id": KEY_ATTRIBUTE,
            "priority_ids": {"normal": 19, "urgent": 20},
            "default_group": "Service Desk",
            "min_rate_limit_wait_seconds": 1.0,
            "ca_bundle": self.ca_path,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"web_services_key": "00000000-1111-2222-3333-444444444444"}
