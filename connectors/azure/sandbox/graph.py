"""The sandbox's Azure Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources`.

Real KQL is out of reach, so the sandbox understands the shape inventory tools send:
`Resources [| where <column> =~|== '<value>']* [| project <column>, ...]` and answers anything
else with Resource Graph's own `InvalidQuery` error. The rest is faithful: the row shape (types
lower-cased, resource groups lower-cased), `$top` up to 1,000, `$skipToken` paging that only
works when `id` is projected, the per-user quota (15 queries per 5-second window by default)
reported in `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after`, and 429 beyond it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.azure.sandbox.arm import arm_error
from connectors.azure.sandbox.data import AzureEstate
from core import clock
from core.sandbox.server import Request, Response, Router, json_response

COLUMNS = (
    "id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
    "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation",
)  # fmt: skip
_WHERE = re.compile(r"^where\s+(?P<column>\w+)\s*(?P<op>=~|==)\s*'(?P<value>[^']*)'$", re.IGNORECASE)
_PROJECT = re.compile(r"^project\s+(?P<columns>\w+(?:\s*,\s*\w+)*)$", re.IGNORECASE)


@dataclass(frozen=True)
class GraphQuery:
    where: tuple[tuple[str, bool, str], ...]  # (column, case-insensitive, value)
    columns: tuple[str, ...]

    def matches(self, row: dict[str, Any]) -> bool:
        for column, insensitive, value in self.where:
            cell = row.get(column)
            if not isinstance(cell, str):
                return False
            if (cell.lower() != value.lower()) if insensitive else (cell != value):
                return False
        return True


def parse_query(text: str) -> GraphQuery:
    """Parse the supported subset; ValueError(position, token) where parsing fails."""
    parts = [p.strip() for p in text.split("|")]
    if parts[0].lower() != "resources":
        raise ValueError(0, parts[0])
    where: list[tuple[str, bool, str]] = []
    columns: tuple[str, ...] = COLUMNS
    offset = len(parts[0]) + 1
    for part in parts[1:]:
        w, p = _WHERE.match(part), _PROJECT.match(part)
        if w is not None and w["column"] in COLUMNS:
            where.append((w["column"], w["op"] == "=~", w["value"]))
        elif p is not None and all(c.strip() in COLUMNS for c in p["columns"].split(",")):
            columns = tuple(c.strip() for c in p["columns"].split(","))
        else:
            raise ValueError(offset, part.split(" ")[0])
        offset += len(part) + 1
    return GraphQuery(tuple(where), columns)


def graph_row(resource: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """A resource as Resource Graph returns it (all columns; empty strings and nulls for gaps)."""
    parts = resource["id"].split("/")
    return {
        "id": resource["id"],
        "name": resource["name"],
        "type": resource["type"].lower(),
        "tenantId": tenant_id,
        "kind": resource.get("kind", ""),
        "location": resource["location"],
        "resourceGroup": parts[4].lower(),
        "subscriptionId": parts[2],
        "managedBy": resource.get("managedBy", ""),
        "sku": resource.get("sku"),
        "plan": resource.get("plan"),
        "properties": {
            "provisioningState": resource.get("provisioningState", "Succeeded"),
            **resource.get("properties", {}),
        },
        "tags": resource.get("tags"),
        "identity": resource.get("identity"),
        "zones": resource.get("zones"),
        "extendedLocation": None,
    }


@dataclass
class UserQuota:
    """Resource Graph's per-user window: `limit` queries every `window` seconds."""

    limit: int = 15
    window: float = 5.0
    #: queries answered 429 so far
    rejected: int = field(default=0, init=False)
    _started: float = field(default=0.0, init=False)
    _used: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def take(self) -> tuple[bool, int, float]:
        """(allowed, queries left, seconds until the window resets)."""
        with self._lock:
            now = time.monotonic()
            if now - self._started >= self.window:
                self._started, self._used = now, 0
            resets = self.window - (now - self._started)
            if self._used >= self.limit:
                self.rejected += 1
                return False, 0, resets
            self._used += 1
            return True, self.limit - self._used, resets


def _hms(seconds: float) -> str:
    whole = math.ceil(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _support_message() -> str:
    return (
        f"Please provide below info when asking for support: timestamp = {clock.now().isoformat()}, "
        f"correlationId = {uuid.uuid4()}."
    )


class ResourceGraphApi:
    def __init__(
        self,
        estate: AzureEstate,
        *,
        authorize: Callable[[Request], Response | None],
        lock: threading.RLock,
        quota: UserQuota,
    ) -> None:
        self.estate = estate
        self._authorize = authorize
        self._lock = lock
        self.quota = quota
        self._totals: dict[tuple[Any, ...], int] = {}

    def routes(self, router: Router) -> None:
        router.add("POST", r"(?i:/providers/Microsoft\.ResourceGraph/resources)", self._query)

    def _query(self, request: Request) -> Response:
        if not request.arg("api-version"):
            return arm_error(
                400, "MissingApiVersionParameter", "The api-version query parameter is required."
            )
        problem = self._authorize(request)
        if problem is not None:
            return problem
        allowed, left, resets = self.quota.take()
        headers = {"x-ms-user-quota-remaining": str(left), "x-ms-user-quota-resets-after": _hms(resets)}
        if not allowed:
            detail = (
                "Client application has been throttled and should not attempt to repeat the request until an "
                "amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help."
            )
            body = {"error": {"code": "RateLimiting", "message": _support_message(),
                              "details": [{"code": "RateLimiting", "message": detail}]}}  # fmt: skip
            return json_response(body, 429, {**headers, "Retry-After": str(math.ceil(resets))})
        try:
            body = request.json() or {}
            query = parse_query(str(body.get("query", "")))
        except ValueError as exc:
            return self._invalid_query(exc.args)
        options = body.get("options") or {}
        top = int(str(options.get("$top") or 1000))
        if not 1 <= top <= 1000:
            return self._bad_request("InvalidTop", "The $top value must be between 1 and 1000.")
        with self._lock:
            scope = self._scope(body)
            if isinstance(scope, Response):
                return scope
            return self._page(query, scope, options, top, headers)

    def _scope(self, body: dict[str, Any]) -> list[int] | Response:
        wanted = body.get("subscriptions")
        if not wanted:
            return [i for i, s in enumerate(self.estate.subscriptions) if s.readable]
        scope = []
        for sub_id in wanted:
            sub = self.estate.subscription(str(sub_id))
            if sub is None or not sub.readable:
                return arm_error(
                    403,
                    "AuthorizationFailed",
                    f"The client does not have authorization to query subscription '{sub_id}'.",
                )
            scope.append(self.estate.subscriptions.index(sub))
        return scope

    def _page(
        self, query: GraphQuery, scope: list[int], options: dict[str, Any], top: int, headers: dict[str, str]
    ) -> Response:
        fingerprint = hashlib.sha256(json.dumps([str(query), scope]).encode()).hexdigest()[:16]
        token = options.get("$skipToken")
        if token:
            try:
                raw = json.loads(base64.urlsafe_b64decode(str(token).encode()))
                if raw["q"] != fingerprint:
                    raise ValueError("skip token of another query")
                start = (int(raw["s"]), int(raw["p"]))
            except (ValueError, KeyError, TypeError):
                return self._bad_request("InvalidSkipToken", "The skip token is invalid for this query.")
        else:
            start = (0, int(options.get("$skip") or 0))
        rows: list[dict[str, Any]] = []
        resume: tuple[int, int] | None = None
        for where, row in self._rows(query, scope, start):
            if len(rows) == top:
                resume = where
                break
            rows.append({c: row[c] for c in query.columns})
        pageable = "id" in query.columns
        body: dict[str, Any] = {
            "totalRecords": self._total(query, scope),
            "count": len(rows),
            "data": self._format(rows, query.columns, str(options.get("resultFormat") or "objectArray")),
            "facets": [],
            "resultTruncated": "true" if resume is not None and not pageable else "false",
        }
        if resume is not None and pageable:
            payload = json.dumps({"q": fingerprint, "s": resume[0], "p": resume[1]}).encode()
            body["$skipToken"] = base64.urlsafe_b64encode(payload).decode()
        return json_response(body, headers=headers)

    def _rows(
        self, query: GraphQuery, scope: list[int], start: tuple[int, int]
    ) -> Iterator[tuple[tuple[int, int], dict[str, Any]]]:
        for order, sub_index in enumerate(scope):
            if order < start[0]:
                continue
            first = start[1] if order == start[0] else 0
            for position in range(first, self.estate.positions(sub_index)):
                resource = self.estate.resource_at(sub_index, position)
                if resource is None:
                    continue
                row = graph_row(resource, self.estate.tenant_id)
                if query.matches(row):
                    yield (order, position), row

    def _total(self, query: GraphQuery, scope: list[int]) -> int:
        if not query.where:
            return sum(self.estate.live_count(i) for i in scope)
        key = (query, tuple(scope), self.estate.version)
        if key not in self._totals:
            self._totals = {key: sum(1 for _ in self._rows(query, scope, (0, 0)))}
        return self._totals[key]

    @staticmethod
    def _format(rows: list[dict[str, Any]], columns: tuple[str, ...], result_format: str) -> Any:
        if result_format.lower() != "table":
            return rows
        kinds = {"sku": "object", "plan": "object", "properties": "object", "tags": "object",
                 "identity": "object", "zones": "object", "extendedLocation": "object"}  # fmt: skip
        return {
            "columns": [{"name": c, "type": kinds.get(c, "string")} for c in columns],
            "rows": [[row[c] for c in columns] for row in rows],
        }

    def _bad_request(self, code: str, message: str) -> Response:
        body = {
            "error": {
                "code": "BadRequest",
                "message": _support_message(),
                "details": [{"code": code, "message": message}],
            }
        }
        return json_response(body, 400)

    def _invalid_query(self, where: tuple[Any, ...]) -> Response:
        position, token = (*where, 0, "")[:2]
        details = [
            {
                "code": "InvalidQuery",
                "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph "
                "service and fix the error before retrying.",
            },
            {"code": "ParserFailure", "message": "ParserFailure", "line": 1,
             "characterPositionInLine": position, "token": token},
        ]  # fmt: skip
        return json_response(
            {"error": {"code": "BadRequest", "message": _support_message(), "details": details}}, 400
        )
