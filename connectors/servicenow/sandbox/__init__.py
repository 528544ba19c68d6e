"""Sandbox of a ServiceNow instance: Table API, OAuth token endpoint, ACLs, rate-limit rules.

Seeded from the demo organisation: its departments as assignment groups, its people as users,
and a few incidents other integrations opened (with their own correlation IDs), so finding the
hub's tickets by key has something to get wrong. Admin ops play the service desk agent.
"""

from __future__ import annotations

import base64
import random
import time
from typing import Any, ClassVar
from urllib.parse import parse_qs

from connectors.servicenow.sandbox.catalog import LIFECYCLE_ITEM, ServiceCatalog
from connectors.servicenow.sandbox.tables import CHILDREN, SCHEMAS, TableStore
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.org import DEPARTMENTS, roster
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

USERS = {  # user_name -> (password, roles)
    "svc_itsm_hub": ("Sbx-hub-pass-7!", {"itil"}),
    "svc_readonly": ("Sbx-read-pass-7!", {"snc_read_only"}),
}
CLIENT_ID, CLIENT_SECRET = "4f0c1d2e3b4a5968778695a4b3c2d1e0", "sbx-oauth-secret-7"
CLIENT_CREDENTIALS_USER = "svc_itsm_hub"
GROUPS = ["Service Desk", "Identity & Access Management", "Desktop Support", "Facilities"]
#: requests and requested items come from the Service Catalog (order_now), never from a Table API
#: insert: the integration user, like any least-privilege one, has no create ACL on them
CATALOG_ONLY = {"sc_request", "sc_req_item"}
TASK_HUB_STATES = {"-5": "open", "1": "open", "2": "open", "3": "closed", "4": "cancelled", "7": "cancelled"}
#: agent actions per ticket table: op -> field values
DESK_ACTIONS: dict[str, dict[str, dict[str, str]]] = {
    "incident": {
        "start_work": {"state": "2"},
        "resolve_ticket": {
            "state": "6",
            "close_code": "Solved (Permanently)",
            "close_notes": "Done by the desk",
        },
        "close_ticket": {
            "state": "7",
            "close_code": "Solved (Permanently)",
            "close_notes": "Done by the desk",
        },
        "cancel_ticket": {"state": "8", "close_notes": "Cancelled by the desk"},
    },
    "sc_req_item": {
        "start_work": {"state": "2", "stage": "fulfillment"},
        "resolve_ticket": {"state": "3", "stage": "complete"},
        "close_ticket": {"state": "3", "stage": "complete"},
        "cancel_ticket": {"state": "4", "stage": "Request Cancelled"},
    },
}


def failure(status: int, message: str, detail: str | None) -> Response:
    return json_response({"error": {"message": message, "detail": detail}, "status": "failure"}, status)


class ServiceNowSandbox(Sandbox):
    name = "servicenow"
    throttle_path: ClassVar[str] = r"^/api/now/(v[12]/)?table/"
    task_path: ClassVar[str] = r"^/api/now/(v[12]/)?table/(incident_task|sc_task)$"
    #: the request that opens a ticket (the sink kit's applied-then-failed faults fire on it)
    create_path: ClassVar[str] = r"^/api/now/(v[12]/)?table/incident$"
    create_method: ClassVar[str] = "POST"
    contract_scale = 20
    #: what a desk agent does to a ticket in a scenario (`servicenow.close_ticket: {external_id: ...}`;
    #: the scenario runner accepts the hub's ticket key there and looks up the sys_id)
    admin_arguments: ClassVar[dict[str, frozenset[str] | None]] = {
        op: frozenset({"external_id"}) for op in [*DESK_ACTIONS["incident"], "describe_ticket"]
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = TokenStore(ttl_seconds=1800)
        self.store = TableStore(clock.now().strftime("%Y-%m-%d"))
        self.catalog = ServiceCatalog(self, self.store)
        self.rate_limit_per_hour: int | None = None
        self._window: tuple[float, dict[str, int]] = (time.time(), {})
        self._seed()

    def _seed(self) -> None:
        rng = random.Random(self.seed)
        for name in GROUPS + [f"{d.name} IT Support" for d in DEPARTMENTS]:
            self.store.insert("sys_user_group", {"name": name, "email": ""}, "system")
        self.store.insert("sys_user_group", {"name": "Retired Helpdesk", "active": "false"}, "system")
        people = roster(self.seed, self.scale)
        for person in people:
            self.store.insert(
                "sys_user",
                {
                    "user_name": person.email.split("@")[0],
                    "first_name": person.preferred_name or person.given_name,
                    "last_name": person.family_name,
                    "email": person.email,
                    "employee_number": person.employee_id,
                },
                "system",
            )
        for i, person in enumerate(people[: max(3, self.scale // 3)]):
            self.store.insert(
                "incident",
                {
                    "short_description": f"{person.display_name}: {rng.choice(['VPN drops', 'Printer jam', 'Reset MFA'])}",
                    "correlation_id": f"MON-{40000 + i}",
                    "correlation_display": "Monitoring",
                    "state": rng.choice(["1", "2", "6", "7"]),
                    "close_code": "Solved (Permanently)",
                    "urgency": "3",
                    "impact": "3",
                },
                "monitoring.integration",
            )

    # -- API -----------------------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        router.add("POST", r"/oauth_token\.do", self._token)
        table = r"/api/now(?:/v[12])?/table/(?P<table>[a-z0-9_]+)"
        router.add("GET", table, self._list)
        router.add("POST", table, self._insert)
        router.add("GET", table + r"/(?P<sys_id>[0-9a-f]{32})", self._get)
        router.add("PATCH", table + r"/(?P<sys_id>[0-9a-f]{32})", self._update)
        router.add("PUT", table + r"/(?P<sys_id>[0-9a-f]{32})", self._update)
        self.catalog.routes(router)

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response({"error_description": "access_denied", "error": "server_error"}, 401)
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if USERS.get(user, ("",))[0] != form.get("password") or not user:
                return json_response({"error_description": "access_denied", "error": "server_error"}, 401)
        elif grant == "client_credentials":
            user = CLIENT_CREDENTIALS_USER
        else:
            return json_response(
                {"error_description": f"unsupported grant {grant}", "error": "invalid_request"}, 400
            )
        token, ttl = self.tokens.issue(prefix=user)
        return json_response(
            {
                "access_token": token,
                "refresh_token": f"r.{token}",
                "scope": "useraccount",
                "token_type": "Bearer",
                "expires_in": ttl,
            }
        )

    def _user(self, request: Request) -> str | None:
        header = request.header("authorization") or ""
        if header.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            return user if user in USERS and USERS[user][0] == password else None
        if self.tokens.verdict(header, request.sandbox_state) == "ok":
            return header[7:].split(".", 1)[0]
        return None

    def authorize(self, request: Request) -> tuple[str, Response | None, dict[str, str]]:
        """Authenticate and apply the rate-limit rule (every API); returns (user, refusal, headers)."""
        user = self._user(request)
        if user is None:
            return "", failure(401, "User Not Authenticated", "Required to provide Auth information"), {}
        headers = self._rate_headers(user)
        if headers.get("Retry-After"):
            refusal = failure(
                429,
                "Rate limit exceeded",
                f"Exceeded the rate limit of {self.rate_limit_per_hour} requests per hour",
            )
            refusal.headers.update(headers)
            return user, refusal, headers
        return user, None, headers

    def _guard(self, request: Request, write: bool) -> tuple[str | None, Response | None, dict[str, str]]:
        """Authenticate, apply the rate-limit rule and the ACL; returns (user, refusal, headers)."""
        user, refusal, headers = self.authorize(request)
        if refusal is not None:
            return user, refusal, headers
        table = request.params["table"]
        if table not in SCHEMAS:
            return user, failure(400, f"Invalid table {table}", None), headers
        if write and ("itil" not in USERS[user][1] or (request.method == "POST" and table in CATALOG_ONLY)):
            verb = "Insert" if request.method == "POST" else "Update"
            return (
                user,
                failure(403, "Operation Failed", f"ACL Exception {verb} Failed due to security constraints"),
                headers,
            )
        return user, None, headers

    def _rate_headers(self, user: str) -> dict[str, str]:
        if self.rate_limit_per_hour is None:
            return {}
        with self.lock:
            started, counts = self._window
            if time.time() - started >= 3600:
                started, counts = time.time(), {}
            counts[user] = counts.get(user, 0) + 1
            self._window = (started, counts)
            reset = started + 3600
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit_per_hour),
            "X-RateLimit-Reset": str(int(reset)),
            "X-RateLimit-Rule": "b1f0e3a2c4d5e6f7a8b9c0d1e2f3a4b5",
        }
        if counts[user] > self.rate_limit_per_hour:
            headers["Retry-After"] = str(max(1, int(reset - time.time())))
        return headers

    def _render(self, request: Request, table: str, record: dict[str, Any]) -> dict[str, Any]:
        fields = [f for f in (request.arg("sysparm_fields") or "").split(",") if f]
        links = request.arg("sysparm_exclude_reference_link", "false") != "true"
        return self.store.render(table, record, fields or None, self.url, links)

    def _list(self, request: Request) -> Response:
        _, refusal, headers = self._guard(request, write=False)
        if refusal:
            return refusal
        table = request.params["table"]
        limit = int(request.arg("sysparm_limit") or 10000)
        offset = int(request.arg("sysparm_offset") or 0)
        with self.lock:
            found = self.store.query(table, request.arg("sysparm_query") or "")
            page = [self._render(request, table, r) for r in found[offset : offset + limit]]
        return json_response({"result": page}, headers={**headers, "X-Total-Count": str(len(found))})

    def _get(self, request: Request) -> Response:
        _, refusal, headers = self._guard(request, write=False)
        if refusal:
            return refusal
        table, sys_id = request.params["table"], request.params["sys_id"]
        with self.lock:
            record = self.store.tables[table].get(sys_id)
            if record is None:
                return failure(
                    404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
                )
            return json_response({"result": self._render(request, table, record)}, headers=headers)

    def _insert(self, request: Request) -> Response:
        user, refusal, headers = self._guard(request, write=True)
        if refusal:
            return refusal
        table = request.params["table"]
        try:
            values = request.json()
        except ValueError:
            values = None
        if not isinstance(values, dict):
            return failure(400, "Exception while reading request", "The payload is not valid JSON.")
        with self.lock:
            refusal = self._data_policy(table, values)
            if refusal:
                return refusal
            record = self.store.insert(table, values, user or "")
            body = {"result": self._render(request, table, record)}
        location = f"{self.url}/api/now/table/{table}/{record['sys_id']}"
        return json_response(body, 201, {**headers, "Location": location})

    def _update(self, request: Request) -> Response:
        user, refusal, headers = self._guard(request, write=True)
        if refusal:
            return refusal
        table, sys_id = request.params["table"], request.params["sys_id"]
        values = request.json()
        with self.lock:
            record = self.store.tables[table].get(sys_id)
            if record is None:
                return failure(
                    404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
                )
            refusal = self._data_policy(table, {**record, **values})
            if refusal:
                return refusal
            record = self.store.update(table, sys_id, values, user or "")
            return json_response({"result": self._render(request, table, record)}, headers=headers)

    @staticmethod
    def _data_policy(table: str, values: dict[str, Any]) -> Response | None:
        """Resolving or closing an incident needs a resolution code and notes (out-of-box policy)."""
        if table == "incident" and str(values.get("state")) in ("6", "7"):
            missing = [
                label
                for name, label in (("close_code", "Resolution code"), ("close_notes", "Resolution notes"))
                if not values.get(name)
            ]
            if missing:
                detail = "Data Policy Exception: \n" + "".join(f" {m} is mandatory\n" for m in missing)
                return failure(403, "Operation Failed", detail)
        return None

    # -- the service desk ------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op == "tickets_with_key":
            return sum(len(self.store.query(t, f"correlation_id={args['key']}")) for t in CHILDREN)
        if op == "count_records":
            return len(self.store.tables[args["table"]])
        if op == "set_rate_limit":
            self.rate_limit_per_hour = args.get("per_hour")
            self._window = (time.time(), {})
            return self.rate_limit_per_hour
        table, record = self._ticket(str(args.get("external_id", "")))
        if op == "describe_ticket":
            return self._describe(table, record)
        if op in DESK_ACTIONS[table]:
            values = DESK_ACTIONS[table][op]
            if op in ("close_ticket", "resolve_ticket", "cancel_ticket"):
                self._finish_tasks(table, record["sys_id"], "3" if op != "cancel_ticket" else "4")
            return self.store.update(table, record["sys_id"], values, "service.desk.agent")["state"]
        known = "tickets_with_key, describe_ticket, count_records, set_rate_limit, " + ", ".join(
            DESK_ACTIONS["incident"]
        )
        raise ValueError(f"unknown servicenow admin op {op!r}; known: {known}")

    def _ticket(self, sys_id: str) -> tuple[str, dict[str, Any]]:
        found = self.store.find(sys_id)
        if found is None or found[0] not in CHILDREN:
            raise ValueError(f"no incident or sc_req_item with sys_id {sys_id!r}")
        return found

    def _finish_tasks(self, table: str, sys_id: str, state: str) -> None:
        task_table, parent = CHILDREN[table]
        for task in self.store.query(task_table, f"{parent}={sys_id}^active=true"):
            self.store.update(task_table, task["sys_id"], {"state": state}, "service.desk.agent")

    def _describe(self, table: str, record: dict[str, Any]) -> dict[str, Any]:
        task_table, parent = CHILDREN[table]
        tasks = self.store.query(task_table, f"{parent}={record['sys_id']}^ORDERBYsys_created_on")
        notes = [j["value"] for j in self.store.journal.get(record["sys_id"], [])]
        due = record["due_date"]
        return {
            "key": record["correlation_id"],
            "title": record["short_description"],
            "due": f"{due[:10]}T{due[11:]}+00:00" if due else "",
            "tasks": [{"title": t["short_description"], "state": TASK_HUB_STATES[t["state"]]} for t in tasks],
            "notes": [*notes, record["close_notes"]] if record["close_notes"] else notes,
            "state": record["state"],
            "number": record["number"],
            "description": record["description"],
            "assignment_group": record["assignment_group"],
            "priority": record["priority"],
        }

    def instance_config(self) -> dict[str, Any]:
        return {
            "instance_url": self.url,
            "auth": "oauth_password",
            "username": "svc_itsm_hub",
            "password": USERS["svc_itsm_hub"][0],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "table": "incident",
            "default_assignment_group": "Service Desk",
            "ca_bundle": self.ca_path,
        }

    def catalog_config(self) -> dict[str, Any]:
        """Requested items ordered through the Service Catalog (`order_now`) instead of incidents."""
        return {**self.instance_config(), "table": "sc_req_item", "catalog_item": LIFECYCLE_ITEM.sys_id}

    def bad_credentials(self) -> dict[str, Any]:
        return {"password": "Wrong-pass-123"}
