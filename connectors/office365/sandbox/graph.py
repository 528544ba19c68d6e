"""The sandbox's Microsoft Graph v1.0 read API over the tenant state.

Users (`/users`, `/users/{id}`, `/users/delta` with skip/delta tokens, `@removed`, expiring
tokens), `/users/{id}/memberOf`, `/subscribedSkus`, Intune `/deviceManagement/managedDevices`,
and JSON `$batch` (at most 20 requests, answered in another order, each item throttled on its
own). Every request needs a bearer token from the sandbox's token endpoint carrying the
application permission the real endpoint needs, and spends from a per-app token bucket: an empty
bucket answers 429 with Retry-After, as Graph's throttling does.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.office365.sandbox.batch import serve_batch
from connectors.office365.sandbox.graph_writes import GraphWrites
from connectors.office365.sandbox.login import token_roles
from connectors.office365.sandbox.tenant import NOT_IN_DELTA, USER_PROPERTIES, Tenant
from core import clock
from core.sandbox.server import Request, Response, Router, json_response

if TYPE_CHECKING:
    from connectors.office365.sandbox import Office365Sandbox

DEFAULT_USER_SELECT = [
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
    "surname", "userPrincipalName", "id",
]  # fmt: skip
DELTA_TOKEN_DAYS = 7
USERS_READ = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
GROUPS_READ = (
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
)
SKUS_READ = ("LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All")
DEVICES_READ = ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All")
AUDIT_READ = ("AuditLog.Read.All",)

Handler = Callable[[Request], Response]


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    inner = {"date": clock.now().strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}
    return json_response({"error": {"code": code, "message": message, "innerError": inner}}, status, headers)


class TokenBucket:
    """Graph-style throttling per app: `capacity` requests, refilled at `per_second`."""

    def __init__(self, capacity: float = 10_000, per_second: float = 5_000) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self._levels: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, app: str) -> float | None:
        """Spend one request; None if allowed, else the seconds until one is available."""
        with self._lock:
            now = time.monotonic()
            level, at = self._levels.get(app, (self.capacity, now))
            level = min(self.capacity, level + (now - at) * self.per_second)
            if level >= 1:
                self._levels[app] = (level - 1, now)
                return None
            self._levels[app] = (level, now)
            return (1 - level) / self.per_second


def encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(text: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def parse_select(
    request: Request, known: frozenset[str], type_name: str, default: list[str]
) -> list[str] | Response:
    raw = request.arg("$select")
    if not raw:
        return list(default)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in known:
            return graph_error(
                400, "Request_BadRequest", f"Could not find a property named '{name}' on type '{type_name}'."
            )
    return ["id", *[n for n in names if n != "id"]]


class GraphApi:
    """Route handlers bound to one sandbox (its tenant, lock, tokens, bucket and base URL)."""

    def __init__(self, sandbox: Office365Sandbox) -> None:
        self.writes: GraphWrites | None = None
        self.sandbox = sandbox
        self.router: Router | None = None

    @property
    def tenant(self) -> Tenant:
        return self.sandbox.tenant

    def build(self, router: Router) -> None:
        self.router = router
        routes: list[tuple[str, str, Handler, tuple[str, ...]]] = [
            ("GET", r"/v1\.0/users/delta", self.users_delta, USERS_READ),
            ("GET", r"/v1\.0/users", self.users_list, USERS_READ),
            ("GET", r"/v1\.0/users/(?P<user>[^/]+)/memberOf", self.member_of, USERS_READ),
            ("GET", r"/v1\.0/users/(?P<user>[^/]+)", self.user_get, USERS_READ),
            ("GET", r"/v1\.0/subscribedSkus", self.subscribed_skus, SKUS_READ),
            ("GET", r"/v1\.0/deviceManagement/managedDevices", self.devices_list, DEVICES_READ),
            (
                "GET",
                r"/v1\.0/deviceManagement/managedDevices/(?P<device>[^/]+)",
                self.device_get,
                DEVICES_READ,
            ),
        ]
        for method, pattern, handler, roles in routes:
            router.add(method, pattern, self.guarded(handler, roles))
        router.add("POST", r"/v1\.0/\$batch", self.batch)
        self.writes = GraphWrites(self)
        self.writes.build(router)

    # -- auth, permissions, throttling ------------------------------------------------------
    def _authenticate(self, request: Request) -> Response | None:
        verdict = self.sandbox.tokens.verdict(request.header("authorization"), request.sandbox_state)
        if verdict == "expired":
            return graph_error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
            )
        if verdict != "ok":
            return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        return None

    def guarded(self, handler: Handler, roles: tuple[str, ...]) -> Handler:
        def serve(request: Request) -> Response:
            refused = self._authenticate(request)
            if refused is not None:
                return refused
            if not token_roles(request.header("authorization")) & set(roles):
                return graph_error(
                    403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
                )
            wait = self.sandbox.bucket.take(self.sandbox.app.client_id)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                return graph_error(
                    429, "TooManyRequests", "Too many requests.", {"Retry-After": str(seconds)}
                )
            with self.sandbox.lock:
                response = handler(request)
            response.headers.setdefault("request-id", str(uuid.uuid4()))
            return response

        return serve

    def _link(self, path: str, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items() if v)
        return f"{self.sandbox.url}/v1.0/{path}" + (f"?{query}" if query else "")

    def _context(self, entity_set: str, select: list[str] | None = None) -> str:
        suffix = f"({','.join(select)})" if select else ""
        return f"{self.sandbox.url}/v1.0/$metadata#{entity_set}{suffix}"

    # -- users ------------------------------------------------------------------------------
    def users_delta(self, request: Request) -> Response:
        state = self._delta_state(request)
        if isinstance(state, Response):
            return state
        page_size = self.sandbox.delta_page_size
        select: list[str] = state["sel"]
        offset: int = state["o"]
        if state["k"] == "init":
            ids = self.tenant.order[offset : min(offset + page_size, state["n"])]
            live = [i for i in ids if self.tenant.user_state[i] == "live"]
            users = [self.tenant.project(self.tenant.users[i], select) for i in live]
            more = offset + page_size < state["n"]
        else:
            changes = self.tenant.changes_between(state["s0"], state["s1"])
            window = changes[offset : offset + page_size]
            users = [self.tenant.delta_entry(i, props, select) for i, props in window]
            more = offset + page_size < len(changes)
        next_state = {**state, "o": offset + page_size, "g": self.tenant.generation} if more else None
        return self._delta_body(users, select, next_state, state["s1"])

    def _delta_state(self, request: Request) -> dict[str, Any] | Response:
        """Where this delta request is: a new initial round, a page of a round, or a new round."""
        skip, delta = request.arg("$skiptoken"), request.arg("$deltatoken")
        if (skip is None and delta is None) or delta == "latest":
            select = parse_select(
                request, USER_PROPERTIES, "Microsoft.DirectoryServices.User", DEFAULT_USER_SELECT
            )
            if isinstance(select, Response):
                return select
            if NOT_IN_DELTA & set(select):
                return graph_error(
                    400,
                    "Request_UnsupportedQuery",
                    "Property 'signInActivity' is not supported in delta queries.",
                )
            if delta == "latest":  # "sync from now": no data, just a delta link
                return self._delta_body([], select, None, self.tenant.seq)
            return {"k": "init", "n": len(self.tenant.order), "s1": self.tenant.seq, "o": 0, "sel": select}
        token = decode_token(skip or delta or "")
        refused = self._check_sync_state(token, "delta" if delta else ("init", "round"))
        if refused is not None or token is None:
            return refused or graph_error(400, "syncStateNotFound", "The sync state generation is not found.")
        if delta:
            return {"k": "round", "s0": token["s"], "s1": self.tenant.seq, "o": 0, "sel": token["sel"]}
        return token

    def _delta_body(
        self, users: list[dict[str, Any]], select: list[str], next_state: dict[str, Any] | None, until: int
    ) -> Response:
        body: dict[str, Any] = {"@odata.context": self._context("users", select), "value": users}
        if next_state is not None:
            body["@odata.nextLink"] = self._link("users/delta", **{"$skiptoken": encode_token(next_state)})
        else:
            issued = clock.now().timestamp()
            token = {"k": "delta", "s": until, "sel": select, "t": issued, "g": self.tenant.generation}
            body["@odata.deltaLink"] = self._link("users/delta", **{"$deltatoken": encode_token(token)})
        return json_response(body)

    def _check_sync_state(
        self, token: dict[str, Any] | None, kinds: str | tuple[str, ...]
    ) -> Response | None:
        if token is None or token.get("k") not in kinds or "sel" not in token:
            return graph_error(400, "syncStateNotFound", "The sync state generation is not found.")
        if token.get("g", self.tenant.generation) != self.tenant.generation:
            return graph_error(
                410,
                "resyncRequired",
                "Resync required: the directory was moved or restored; start a new delta query.",
            )
        issued = token.get("t")
        if issued is not None and clock.now().timestamp() - float(issued) > DELTA_TOKEN_DAYS * 86400:
            return graph_error(
                400,
                "syncStateNotFound",
                "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            )
        return None

    def users_list(self, request: Request) -> Response:
        select = parse_select(
            request, USER_PROPERTIES, "Microsoft.DirectoryServices.User", DEFAULT_USER_SELECT
        )
        if isinstance(select, Response):
            return select
        if "signInActivity" in select:
            refused = self._sign_in_allowed(request)
            if refused is not None:
                return refused
        top = min(max(int(request.arg("$top") or 100), 1), 999)
        token = decode_token(request.arg("$skiptoken") or "") or {"o": 0}
        live = self.tenant.live_ids()
        offset = int(token.get("o", 0))
        users = [self.tenant.project(self.tenant.users[i], select) for i in live[offset : offset + top]]
        body: dict[str, Any] = {"@odata.context": self._context("users", select), "value": users}
        if offset + top < len(live):
            body["@odata.nextLink"] = self._link(
                "users",
                **{
                    "$select": ",".join(select),
                    "$top": str(top),
                    "$skiptoken": encode_token({"o": offset + top}),
                },
            )
        return json_response(body)

    def _sign_in_allowed(self, request: Request) -> Response | None:
        if not token_roles(request.header("authorization")) & set(AUDIT_READ):
            return graph_error(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        if not self.sandbox.premium:
            return graph_error(
                403,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
            )
        return None

    def _user_id(self, ref: str) -> str | None:
        try:
            return self.tenant.find_user(ref)
        except ValueError:
            return None

    def user_get(self, request: Request) -> Response:
        select = parse_select(
            request, USER_PROPERTIES, "Microsoft.DirectoryServices.User", DEFAULT_USER_SELECT
        )
        if isinstance(select, Response):
            return select
        user_id = self._user_id(request.params["user"])
        if user_id is None:
            return graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{request.params['user']}' does not exist or one of "
                "its queried reference-property objects are not present.",
            )
        if "signInActivity" in select:
            refused = self._sign_in_allowed(request)
            if refused is not None:
                return refused
        body = {
            "@odata.context": self._context("users", select) + "/$entity",
            **self.tenant.project(self.tenant.users[user_id], select),
        }
        return json_response(body)

    def member_of(self, request: Request) -> Response:
        user_id = self._user_id(request.params["user"])
        if user_id is None:
            return graph_error(
                404, "Request_ResourceNotFound", f"Resource '{request.params['user']}' does not exist."
            )
        full = bool(token_roles(request.header("authorization")) & set(GROUPS_READ))
        select = [s for s in (request.arg("$select") or "").split(",") if s]
        groups = []
        for group in self.tenant.member_of(user_id):
            shape = group.as_graph()
            if not full:  # "limited information": only the type and id without a group permission
                names = [k for k in select or ["displayName"] if k != "id"]
                shape = {"@odata.type": shape["@odata.type"], "id": group.id, **dict.fromkeys(names)}
            elif select:
                shape = {"@odata.type": shape["@odata.type"], **{k: shape.get(k) for k in ["id", *select]}}
            groups.append(shape)
        return json_response(
            {"@odata.context": self._context("directoryObjects", select or None), "value": groups}
        )

    # -- licences and devices ---------------------------------------------------------------
    def subscribed_skus(self, request: Request) -> Response:
        skus = self.tenant.subscribed_skus()
        known = frozenset(skus[0]) if skus else frozenset({"id"})
        select = parse_select(request, known, "microsoft.graph.subscribedSku", sorted(known))
        if isinstance(select, Response):
            return select
        value = [{k: sku.get(k) for k in select} for sku in skus]
        return json_response({"@odata.context": self._context("subscribedSkus", select), "value": value})

    def devices_list(self, request: Request) -> Response:
        devices = list(self.tenant.devices.values())
        known = frozenset(devices[0]) if devices else frozenset({"id"})
        select = parse_select(request, known, "microsoft.graph.managedDevice", sorted(known))
        if isinstance(select, Response):
            return select
        top = min(max(int(request.arg("$top") or 1000), 1), 1000)
        offset = int((decode_token(request.arg("$skiptoken") or "") or {}).get("o", 0))
        value = [{k: d.get(k) for k in select} for d in devices[offset : offset + top]]
        body: dict[str, Any] = {
            "@odata.context": self._context("deviceManagement/managedDevices", select),
            "value": value,
        }
        if offset + top < len(devices):
            body["@odata.nextLink"] = self._link(
                "deviceManagement/managedDevices",
                **{
                    "$select": ",".join(select),
                    "$top": str(top),
                    "$skiptoken": encode_token({"o": offset + top}),
                },
            )
        return json_response(body)

    def device_get(self, request: Request) -> Response:
        device = self.tenant.devices.get(request.params["device"])
        if device is None:
            return graph_error(
                404, "ResourceNotFound", "Resource not found for the segment 'managedDevices'."
            )
        return json_response(dict(device))

    # -- JSON batching ----------------------------------------------------------------------
    def batch(self, request: Request) -> Response:
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        assert self.router is not None
        return serve_batch(self.router, request)
