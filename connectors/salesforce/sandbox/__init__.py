"""Sandbox of a Salesforce org for the Case sink: the OAuth 2.0 token endpoint (client
credentials), the REST API's Case resources (by Id, by external ID with upsert, describe),
`Sforce-Limit-Info` on every answer and the real error bodies (`[{"message","errorCode"}]`,
INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED, restricted picklists, field limits).

Admin ops let a test or the demo act as the service desk: `start_case`, `resolve_case`,
`close_case`, `delete_case` (a Case by `key` or `id`), inspect (`case`, `cases`) or break things
(`duplicate_case`, `set_api_usage`); plus the sink kit's `tickets_with_key`, `describe_ticket`,
`start_work` and `close_ticket`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import parse_qs

from connectors.salesforce.cases import case_tasks
from connectors.salesforce.sandbox.cases import ApiError, CaseTable
from core.sandbox.base import Sandbox
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

CLIENT_ID = "3MVG9HubSandboxConsumerKey.itsm"
CLIENT_SECRET = "sandbox-consumer-secret-5f1e"
API_VERSION = "61.0"
ORG_ID = "00DSb0000001HubEAA"
USER_ID = "005Sb000000HubAAA"
_DATA = r"/services/data/v(?P<version>\d{2,3}\.0)"
_CASE_ID = r"(?P<case_id>500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)"

Handler = Callable[[Request], Response]


class SalesforceSandbox(Sandbox):
    name = "salesforce"
    throttle_path: ClassVar[str] = r"^/services/data/v[\d.]+/sobjects/Case/.+"
    #: the request that opens a ticket: the upsert by external ID (the sink kit's faults fire on it)
    create_path: ClassVar[str] = r"^/services/data/v[\d.]+/sobjects/Case/\w+__c/"
    create_method: ClassVar[str] = "PATCH"

    def __init__(self, *, daily_api_limit: int = 100_000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = TokenStore(ttl_seconds=7200)
        self.table = CaseTable(api_version=API_VERSION)
        self.table.seed(self.seed, self.scale)
        self.api_used = 0
        self.api_limit = daily_api_limit
        self.api_lock = threading.Lock()

    # -- routes ----------------------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        router.add("POST", r"/services/oauth2/token", self._token)
        router.add("GET", r"/services/data/?", self._versions)
        router.add("GET", rf"{_DATA}/limits/?", self._api(self._limits))
        router.add("GET", rf"{_DATA}/sobjects/Case/describe/?", self._api(self._describe))
        router.add("GET", rf"{_DATA}/query/?", self._api(self._query))
        router.add("GET", rf"{_DATA}/sobjects/Case/{_CASE_ID}", self._api(self._get_case))
        router.add("PATCH", rf"{_DATA}/sobjects/Case/{_CASE_ID}", self._api(self._update_case))
        router.add(
            "GET", rf"{_DATA}/sobjects/Case/(?P<field>\w+)/(?P<value>[^/]+)", self._api(self._get_by_key)
        )
        router.add(
            "PATCH", rf"{_DATA}/sobjects/Case/(?P<field>\w+)/(?P<value>[^/]+)", self._api(self._upsert)
        )
        router.add("*", rf"{_DATA}/.*", self._api(self._not_found))

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        basic = request.header("authorization") or ""
        if basic.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", client_id)
            form.setdefault("client_secret", secret)
        if form.get("grant_type") != "client_credentials":
            return json_response(
                {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400
            )
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, 400
            )
        token, _ = self.tokens.issue(prefix=f"{ORG_ID}!AQ")
        return json_response(
            {
                "access_token": token,
                "signature": base64.b64encode(token[-16:].encode()).decode(),
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/{ORG_ID}/{USER_ID}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
            }
        )

    def _versions(self, request: Request) -> Response:
        return json_response(
            [{"label": "Summer '24", "url": f"/services/data/v{API_VERSION}", "version": API_VERSION}]
        )

    def _api(self, handler: Handler) -> Handler:
        """Session check, the daily API counter and `Sforce-Limit-Info`, around every REST call."""

        def wrapped(request: Request) -> Response:
            if self.tokens.verdict(request.header("authorization"), request.sandbox_state) != "ok":
                return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
            with self.api_lock:
                self.api_used += 1
                used, limit = self.api_used, self.api_limit
            if used > limit:
                response = _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            else:
                try:
                    with self.lock:
                        response = handler(request)
                except ApiError as exc:
                    response = json_response(exc.body, exc.status)
            response.headers["Sforce-Limit-Info"] = f"api-usage={min(used, limit)}/{limit}"
            return response

        return wrapped

    def _limits(self, request: Request) -> Response:
        return json_response(
            {"DailyApiRequests": {"Max": self.api_limit, "Remaining": self.api_limit - self.api_used}}
        )

    def _describe(self, request: Request) -> Response:
        return json_response(self.table.describe())

    def _query(self, request: Request) -> Response:
        records = self.table.query(request.arg("q") or "")
        return json_response({"totalSize": len(records), "done": True, "records": records})

    def _get_case(self, request: Request) -> Response:
        fields = request.arg("fields")
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        return json_response(self.table.record(request.params["case_id"], names))

    def _update_case(self, request: Request) -> Response:
        values = self.table.validate(_body(request), creating=False)
        self.table.apply(request.params["case_id"], values)
        return Response(204, b"", {})

    def _check_key_field(self, name: str) -> None:
        if name != self.table.external_id_field:
            raise ApiError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {name}"
            )

    def _get_by_key(self, request: Request) -> Response:
        self._check_key_field(request.params["field"])
        matches = self.table.ids_with_key(request.params["value"])
        if not matches:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(matches) > 1:
            return json_response([self.table.attributes(i)["url"] for i in matches], 300)
        return json_response(self.table.record(matches[0]))

    def _upsert(self, request: Request) -> Response:
        self._check_key_field(request.params["field"])
        status, body = self.table.upsert(request.params["value"], _body(request))
        return json_response(body, status)

    def _not_found(self, request: Request) -> Response:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    # -- admin -----------------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        ops: dict[str, Callable[[dict[str, Any]], Any]] = {
            "start_case": lambda a: self._set_status(a, "Working"),
            "resolve_case": lambda a: self._set_status(a, "Resolved"),
            "close_case": lambda a: self._set_status(a, str(a.get("status", "Closed"))),
            "delete_case": self._delete_case,
            "case": lambda a: self._case_view(self._case_id(a)),
            "cases": self._hub_cases,
            "duplicate_case": self._duplicate_case,
            "set_api_usage": self._set_api_usage,
            # the service-desk ops every sink sandbox offers (core/testing/sink_kit.py)
            "tickets_with_key": lambda a: len(self.table.ids_with_key(str(a["key"]))),
            "describe_ticket": lambda a: self._describe_ticket(self._case_id({"id": a["external_id"]})),
            "start_work": lambda a: self._set_status({"id": a["external_id"]}, "Working"),
            "close_ticket": lambda a: self._set_status({"id": a["external_id"]}, "Closed"),
        }
        if op not in ops:
            raise ValueError(f"unknown salesforce admin op {op!r}; known: {', '.join(sorted(ops))}")
        with self.lock:
            return ops[op](args)

    def _case_id(self, args: dict[str, Any]) -> str:
        if "id" in args:
            if args["id"] not in self.table.cases:
                raise ValueError(f"no Case with Id {args['id']!r}")
            return str(args["id"])
        if "key" not in args:
            raise ValueError("give the Case as {'key': <hub key>} or {'id': <Case Id>}")
        matches = self.table.ids_with_key(str(args["key"]))
        if not matches:
            raise ValueError(f"no Case carries {self.table.external_id_field} = {args['key']!r}")
        return matches[0]

    def _case_view(self, case_id: str) -> dict[str, Any]:
        return {**self.table.cases[case_id], "comments": list(self.table.comments.get(case_id, []))}

    def _describe_ticket(self, case_id: str) -> dict[str, Any]:
        """The Case as an agent reads it: key, subject, due, checklist, internal comments."""
        case = self.table.cases[case_id]
        return {
            "key": case.get(self.table.external_id_field),
            "title": case.get("Subject") or "",
            "due": case.get(self.table.due_field) or "",
            "tasks": case_tasks(case.get("Description") or ""),
            "notes": list(self.table.comments.get(case_id, [])),
            "state": case.get("Status"),
        }

    def _set_status(self, args: dict[str, Any], status: str) -> dict[str, Any]:
        case_id = self._case_id(args)
        try:
            self.table.apply(case_id, self.table.validate({"Status": status}, creating=False))
        except ApiError as exc:
            raise ValueError(str(exc)) from None
        return self._case_view(case_id)

    def _delete_case(self, args: dict[str, Any]) -> str:
        case_id = self._case_id(args)
        self.table.delete(case_id)
        return case_id

    def _hub_cases(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        key_field = self.table.external_id_field
        return [self._case_view(i) for i, c in self.table.cases.items() if c.get(key_field)]

    def _duplicate_case(self, args: dict[str, Any]) -> str:
        """A second Case with the same key, as an org whose key field is not marked Unique allows."""
        original = self.table.cases[self._case_id(args)]
        self.table.key_is_unique = False
        copy = {k: original[k] for k in ("Subject", "Description", self.table.external_id_field)}
        return self.table.insert(copy)

    def _set_api_usage(self, args: dict[str, Any]) -> dict[str, int]:
        with self.api_lock:
            self.api_used = int(args.get("used", self.api_used))
            self.api_limit = int(args.get("limit", self.api_limit))
            return {"used": self.api_used, "limit": self.api_limit}

    def instance_config(self) -> dict[str, Any]:
        return {
            "login_url": self.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "ca_bundle": self.ca_path,
            "api_version": API_VERSION,
            "queues": {"IT Service Desk": "00GSb000000DeskAAA"},
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"client_secret": "wrong-secret"}


def _errors(status: int, code: str, message: str) -> Response:
    return json_response([{"message": message, "errorCode": code}], status)


def _body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise ApiError(400, "JSON_PARSER_ERROR", "Unexpected character: the body is not valid JSON") from None
