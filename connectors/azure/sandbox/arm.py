"""The sandbox's Azure Resource Manager read API: subscriptions, resource groups and resources,
with `nextLink`/`$skiptoken` paging, `$top`, the documented `$filter` subset, `$expand`, ARM's
error bodies (`{"error": {"code", "message"}}`) and its read throttling (a token bucket per
subscription; `x-ms-ratelimit-remaining-*-reads` on every answer, 429 + Retry-After when empty).
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from connectors.azure.sandbox.data import AzureEstate, Subscription
from core.sandbox.server import Request, Response, Router, json_response

MAX_PAGE = 1000
EXPANDABLE = ("createdTime", "changedTime", "provisioningState")


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status, headers)


@dataclass
class ReadBucket:
    """ARM's per-scope token bucket for reads (250 tokens, 25 back a second)."""

    size: int = 250
    refill_per_second: float = 25.0
    #: requests answered 429 so far (tests prove clients pace themselves)
    rejected: int = field(default=0, init=False)
    _tokens: float = field(default=-1.0, init=False)
    _at: float = field(default_factory=time.monotonic, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def take(self) -> tuple[bool, int, int]:
        """(allowed, tokens left, seconds until one is back)."""
        with self._lock:
            now = time.monotonic()
            if self._tokens < 0:
                self._tokens = float(self.size)
            self._tokens = min(float(self.size), self._tokens + (now - self._at) * self.refill_per_second)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True, int(self._tokens), 0
            self.rejected += 1
            return False, 0, max(1, math.ceil((1.0 - self._tokens) / self.refill_per_second))


@dataclass(frozen=True)
class ResourceFilter:
    """The `$filter` forms ARM documents for `Resources - List`."""

    equals: tuple[tuple[str, str], ...] = ()
    contains: tuple[tuple[str, str], ...] = ()
    tag_name: str | None = None
    tag_value: str | None = None
    tag_prefix: str | None = None

    @property
    def by_tag(self) -> bool:
        return self.tag_name is not None or self.tag_prefix is not None

    def matches(self, resource: dict[str, Any]) -> bool:
        fields = {
            "resourcetype": resource["type"],
            "location": resource["location"],
            "name": resource["name"],
            "resourcegroup": resource["id"].split("/")[4],
        }
        for name, value in self.equals:
            if fields[name].lower() != value.lower():
                return False
        for name, value in self.contains:
            if value.lower() not in fields[name].lower():
                return False
        tags = {k.lower(): v for k, v in (resource.get("tags") or {}).items()}
        if self.tag_name is not None:
            if self.tag_name.lower() not in tags:
                return False
            if self.tag_value is not None and tags[self.tag_name.lower()] != self.tag_value:
                return False
        return self.tag_prefix is None or any(k.startswith(self.tag_prefix.lower()) for k in tags)


_CLAUSE = re.compile(
    r"^(?:(?P<field>resourceType|location|name|resourceGroup|tagName|tagValue)\s+eq\s+'(?P<value>[^']*)'"
    r"|substringof\('(?P<needle>[^']*)',\s*(?P<within>name|resourceGroup)\)"
    r"|startswith\(tagName,\s*'(?P<prefix>[^']*)'\))$",
    re.IGNORECASE,
)


def parse_filter(text: str) -> ResourceFilter:
    """Parse a `$filter`; ValueError for forms ARM rejects (tag filters cannot be combined)."""
    equals: list[tuple[str, str]] = []
    contains: list[tuple[str, str]] = []
    tag: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause.strip())
        if match is None:
            raise ValueError(clause)
        if match["field"]:
            name = match["field"].lower()
            if name in ("tagname", "tagvalue"):
                tag[name] = match["value"]
            else:
                equals.append((name, match["value"]))
        elif match["needle"] is not None:
            contains.append((match["within"].lower(), match["needle"]))
        else:
            tag["prefix"] = match["prefix"]
    if tag and (equals or contains or ("tagvalue" in tag and "tagname" not in tag)):
        raise ValueError(text)
    return ResourceFilter(
        tuple(equals), tuple(contains), tag.get("tagname"), tag.get("tagvalue"), tag.get("prefix")
    )


def encode_token(position: int) -> str:
    raw = json.dumps({"nextPartitionKey": "1!8!", "nextRowKey": position}).encode()
    return base64.urlsafe_b64encode(raw).decode().replace("=", "-")


def decode_token(token: str) -> int:
    raw = base64.urlsafe_b64decode(token.replace("-", "=").encode())
    return int(json.loads(raw)["nextRowKey"])


class ArmApi:
    """Routes of the ARM read API over one `AzureEstate`."""

    def __init__(
        self,
        estate: AzureEstate,
        *,
        authorize: Callable[[Request], Response | None],
        base_url: Callable[[], str],
        lock: threading.RLock,
        read_bucket: tuple[int, float] = (250, 25.0),
    ) -> None:
        self.estate = estate
        self._authorize = authorize
        self._base_url = base_url
        self._lock = lock
        self._bucket_shape = read_bucket
        self.buckets: dict[str, ReadBucket] = {}

    def routes(self, router: Router) -> None:
        sub = r"/subscriptions/(?P<sub>[^/]+)"
        router.add("GET", r"/subscriptions", self._subscriptions)
        router.add("GET", sub, self._subscription)
        router.add("GET", rf"(?i:{sub}/resourcegroups)", self._groups)
        router.add("GET", rf"(?i:{sub}/resources)", self._resources)

    # -- plumbing -----------------------------------------------------------------------------
    def _gate(self, request: Request, scope: str) -> Response | dict[str, str]:
        """Auth, api-version and throttling: an error response, or the headers of a good answer."""
        if not request.arg("api-version"):
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        problem = self._authorize(request)
        if problem is not None:
            return problem
        kind = "tenant" if scope == "tenant" else "subscription"
        with self._lock:
            bucket = self.buckets.setdefault(scope, ReadBucket(*self._bucket_shape))
        allowed, left, wait = bucket.take()
        request_id = str(uuid.uuid4())
        if not allowed:
            return arm_error(
                429,
                "SubscriptionRequestsThrottled" if kind == "subscription" else "TenantRequestsThrottled",
                f"Number of 'read' requests for {kind} '{scope}' exceeded. Please try again after "
                f"'{wait}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                {"Retry-After": str(wait), f"x-ms-ratelimit-remaining-{kind}-reads": "0"},
            )
        return {
            f"x-ms-ratelimit-remaining-{kind}-reads": str(left),
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": request_id,
        }

    def _readable(self, request: Request) -> Subscription | Response:
        sub = self.estate.subscription(request.params["sub"])
        if sub is None:
            return arm_error(
                404, "SubscriptionNotFound", f"The subscription '{request.params['sub']}' could not be found."
            )
        if not sub.readable:
            return arm_error(
                403,
                "AuthorizationFailed",
                f"The client does not have authorization to perform action 'Microsoft.Resources/subscriptions/"
                f"read' over scope '/subscriptions/{sub.subscription_id}' or the scope is invalid. If access "
                "was recently granted, please refresh your credentials.",
            )
        return sub

    def _next_link(self, request: Request, position: int) -> str:
        params = {k: v[0] for k, v in request.query.items() if k.lower() != "$skiptoken"}
        params["$skiptoken"] = encode_token(position)
        return f"{self._base_url()}{request.path}?{urlencode(params)}"

    @staticmethod
    def _page_size(request: Request) -> int | Response:
        try:
            top = int(request.arg("$top") or MAX_PAGE)
        except ValueError:
            return arm_error(
                400, "InvalidTopInQueryString", f"Invalid $top '{request.arg('$top')}' specified."
            )
        return max(1, min(top, MAX_PAGE))

    @staticmethod
    def _start(request: Request) -> int | Response:
        token = request.arg("$skiptoken")
        if not token:
            return 0
        try:
            return decode_token(token)
        except (ValueError, KeyError, TypeError):
            return arm_error(400, "InvalidSkipToken", "The provided skip token is invalid or has expired.")

    # -- handlers -----------------------------------------------------------------------------
    def _subscriptions(self, request: Request) -> Response:
        gate = self._gate(request, "tenant")
        if isinstance(gate, Response):
            return gate
        with self._lock:
            value = [self.estate.subscription_record(s) for s in self.estate.subscriptions if s.readable]
        return json_response({"count": {"type": "Total", "value": len(value)}, "value": value}, headers=gate)

    def _subscription(self, request: Request) -> Response:
        gate = self._gate(request, request.params["sub"].lower())
        if isinstance(gate, Response):
            return gate
        with self._lock:
            sub = self._readable(request)
            if isinstance(sub, Response):
                return sub
            return json_response(self.estate.subscription_record(sub), headers=gate)

    def _groups(self, request: Request) -> Response:
        gate = self._gate(request, request.params["sub"].lower())
        if isinstance(gate, Response):
            return gate
        size, start = self._page_size(request), self._start(request)
        if isinstance(size, Response):
            return size
        if isinstance(start, Response):
            return start
        with self._lock:
            sub = self._readable(request)
            if isinstance(sub, Response):
                return sub
            groups = self.estate.resource_groups(sub)
        body: dict[str, Any] = {"value": groups[start : start + size]}
        if start + size < len(groups):
            body["nextLink"] = self._next_link(request, start + size)
        return json_response(body, headers=gate)

    def _resources(self, request: Request) -> Response:
        gate = self._gate(request, request.params["sub"].lower())
        if isinstance(gate, Response):
            return gate
        size, start = self._page_size(request), self._start(request)
        if isinstance(size, Response):
            return size
        if isinstance(start, Response):
            return start
        try:
            where = parse_filter(request.arg("$filter") or "") if request.arg("$filter") else ResourceFilter()
        except ValueError:
            return arm_error(
                400,
                "InvalidFilterInQueryString",
                f"Invalid $filter '{request.arg('$filter')}' specified in the query string.",
            )
        expand = {e.strip() for e in (request.arg("$expand") or "").split(",") if e.strip()}
        with self._lock:
            sub = self._readable(request)
            if isinstance(sub, Response):
                return sub
            index = self.estate.subscriptions.index(sub)
            end = self.estate.positions(index)
            page, resume = self._collect(index, start, end, size, where, expand)
        body: dict[str, Any] = {"value": page}
        if resume < end:
            body["nextLink"] = self._next_link(request, resume)
        return json_response(body, headers=gate)

    def _collect(
        self, index: int, start: int, end: int, size: int, where: ResourceFilter, expand: set[str]
    ) -> tuple[list[dict[str, Any]], int]:
        """Up to `size` matching resources from `start`, and the position to resume from."""
        page: list[dict[str, Any]] = []
        for position in range(start, end):
            resource = self.estate.resource_at(index, position)
            if resource is not None and where.matches(resource):
                page.append(_arm_view(resource, expand, drop_tags=where.by_tag))
                if len(page) == size:
                    return page, position + 1
        return page, end


def _arm_view(resource: dict[str, Any], expand: set[str], *, drop_tags: bool) -> dict[str, Any]:
    """What `Resources - List` returns: no properties or zones; timestamps only when expanded."""
    view = {k: v for k, v in resource.items() if k not in ("properties", "zones", *EXPANDABLE)}
    if drop_tags:
        view.pop("tags", None)  # documented: a tag filter returns resources without their tags
    for name in EXPANDABLE:
        if name in expand and name in resource:
            view[name] = resource[name]
    return view
