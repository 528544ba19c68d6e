"""ARM's Tags API at a resource's scope, as the hub's `azure.tag_owner_left` action uses it:

- `GET {resourceId}/providers/Microsoft.Resources/tags/default` (Tags - Get At Scope);
- `PATCH` of the same path (Tags - Update At Scope) with `{"operation": "Merge" | "Replace" |
  "Delete", "properties": {"tags": {...}}}`: merge adds or updates the given names, replace sets
  exactly them, delete removes the given names (or name/value pairs). Both answer 200 with
  `{id, name: "default", type: "Microsoft.Resources/tags", properties: {tags}}`.

Refused as ARM refuses: no `api-version` (400), no token (401), a principal without
`Microsoft.Resources/tags/write` (403 AuthorizationFailed; the sandbox grants it with the
`grant_tag_contributor` admin op, as an agency would assign Tag Contributor), an unknown resource
(404 ResourceNotFound), a body that is not one of the three operations with a tags object (400),
more than 50 tags on the resource afterwards, a name over 512 or a value over 256 characters, or a
name with one of `< > % & \\ ? /` (400). Tag names compare case-insensitively. The error codes for
the limits are the sandbox's own wording; the statuses and limits are ARM's documented ones.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from connectors.azure.sandbox.arm import arm_error
from connectors.azure.sandbox.data import AzureEstate
from core import clock
from core.sandbox.server import Request, Response, Router, json_response

MAX_TAGS, MAX_NAME, MAX_VALUE = 50, 512, 256
FORBIDDEN = set("<>%&\\?/")
OPERATIONS = ("merge", "replace", "delete")


def apply_tags(current: dict[str, str], given: dict[str, str], operation: str) -> dict[str, str]:
    """The tags after an operation; names compare case-insensitively (the existing spelling stays)."""
    spelled = {k.lower(): k for k in current}
    if operation == "replace":
        return dict(given)
    tags = dict(current)
    for name, value in given.items():
        existing = spelled.get(name.lower())
        if operation == "merge":
            tags[existing or name] = value
        elif existing is not None and value in ("", tags[existing]):
            del tags[existing]
    return tags


class TagsApi:
    """The two routes, over the estate's resources (same lock and overlays as the admin ops)."""

    def __init__(
        self,
        estate: AzureEstate,
        *,
        authorize: Callable[[Request], Response | None],
        lock: threading.RLock,
    ) -> None:
        self.estate = estate
        self._authorize = authorize
        self._lock = lock
        #: whether the hub's principal holds Microsoft.Resources/tags/write (Tag Contributor)
        self.writable = False
        #: PATCH requests received (scenarios count the hub's writes)
        self.received: list[str] = []

    def routes(self, router: Router) -> None:
        path = r"(?P<scope>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/.+?)"
        tags = r"/providers/microsoft\.resources/tags/default"
        router.add("GET", rf"(?i:{path}{tags})", self.get)
        router.add("PATCH", rf"(?i:{path}{tags})", self.patch)

    def _checked(self, request: Request) -> tuple[str, dict[str, Any]] | Response:
        if not request.arg("api-version"):
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        problem = self._authorize(request)
        if problem is not None:
            return problem
        scope = request.params["scope"]
        found = self.estate.find(scope)
        if found is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{scope}' was not found.")
        return scope, found[1]

    def _answer(self, resource: dict[str, Any], tags: dict[str, str]) -> Response:
        return json_response(
            {
                "id": f"{resource['id']}/providers/Microsoft.Resources/tags/default",
                "name": "default",
                "type": "Microsoft.Resources/tags",
                "properties": {"tags": tags},
            },
            headers={"x-ms-request-id": str(uuid.uuid4())},
        )

    def get(self, request: Request) -> Response:
        with self._lock:
            checked = self._checked(request)
            if isinstance(checked, Response):
                return checked
            _, resource = checked
            return self._answer(resource, dict(resource.get("tags") or {}))

    def patch(self, request: Request) -> Response:
        with self._lock:
            self.received.append(f"PATCH {request.path}")
            checked = self._checked(request)
            if isinstance(checked, Response):
                return checked
            scope, resource = checked
            if not self.writable:
                return arm_error(
                    403,
                    "AuthorizationFailed",
                    "The client does not have authorization to perform action "
                    f"'Microsoft.Resources/tags/write' over scope '{scope}' or the scope is invalid.",
                )
            parsed = _parse(request)
            if isinstance(parsed, Response):
                return parsed
            operation, given = parsed
            tags = apply_tags(dict(resource.get("tags") or {}), given, operation)
            if len(tags) > MAX_TAGS:
                return arm_error(
                    400,
                    "InvalidTagCount",
                    f"A resource can have at most {MAX_TAGS} tags; this would make {len(tags)}.",
                )
            changed = {k: v for k, v in resource.items() if k != "tags"}
            if tags:
                changed["tags"] = tags
            changed["changedTime"] = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
            self.estate.changed[resource["id"].lower()] = changed
            self.estate.version += 1
            return self._answer(resource, tags)


def _parse(request: Request) -> tuple[str, dict[str, str]] | Response:
    try:
        body = request.json()
    except ValueError:
        return arm_error(
            400, "InvalidRequestContent", "The request content was invalid and could not be deserialized."
        )
    operation = str(body.get("operation") or "").lower() if isinstance(body, dict) else ""
    tags = (body.get("properties") or {}).get("tags") if isinstance(body, dict) else None
    if operation not in OPERATIONS or not isinstance(tags, dict):
        return arm_error(
            400,
            "InvalidRequestContent",
            "The request content must name an operation (Replace, Merge or Delete) and properties.tags.",
        )
    for name, value in tags.items():
        if not isinstance(value, str):
            return arm_error(400, "InvalidRequestContent", f"The value of tag '{name}' must be a string.")
        if len(name) > MAX_NAME or len(value) > MAX_VALUE:
            return arm_error(
                400,
                "InvalidTagNameOrValue",
                f"Tag names are limited to {MAX_NAME} and values to {MAX_VALUE} characters.",
            )
        if FORBIDDEN & set(name):
            return arm_error(
                400,
                "InvalidTagNameCharacters",
                f"The tag name '{name}' has characters that are not allowed: <>%&\\?/",
            )
    return operation, tags
