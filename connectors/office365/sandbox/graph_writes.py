"""The sandbox's Microsoft Graph v1.0 write endpoints the hub's actions use, with Graph's rules.

- `PATCH /users/{id}`: 204 No Content. Changing only `accountEnabled` needs
  User.EnableDisableAccount.All with User.Read.All (or User.ReadWrite.All /
  Directory.ReadWrite.All); any other property needs one of the two ReadWrite permissions.
  An unknown or read-only property, or a value of the wrong type, is a 400.
- `POST /users/{id}/revokeSignInSessions`: 200 `{"value": true}`; sets the user's
  `signInSessionsValidFromDateTime` to now. Needs User.RevokeSessions.All (or a ReadWrite one).
- `POST /users/{id}/assignLicense`: both `addLicenses` and `removeLicenses` are required
  (either may be empty); removing a licence the user does not have, adding one the tenant does not
  subscribe to, adding any licence to a user without `usageLocation`, or adding a licence of a
  subscription with no seat left (consumed units at its enabled + warning prepaid units) or no longer
  active (suspended, locked out, deleted) is a 400 `Request_BadRequest`, "Subscription with SKU …
  does not have any available licenses."; nothing of a refused request is applied. Success answers
  200 with the user. Needs LicenseAssignment.ReadWrite.All (or a ReadWrite one).
Group membership writes live in `group_members.py`. An unknown user is a 404 `Request_ResourceNotFound`, as on every user path.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

from connectors.office365.sandbox.login import token_roles
from connectors.office365.sandbox.tenant import Tenant
from core import clock
from core.sandbox.server import Request, Response, Router, json_response

if TYPE_CHECKING:
    from connectors.office365.sandbox.graph import GraphApi

READ_WRITE = ("User.ReadWrite.All", "Directory.ReadWrite.All")
ENABLE_DISABLE = ("User.EnableDisableAccount.All", *READ_WRITE)
REVOKE = ("User.RevokeSessions.All", *READ_WRITE)
ASSIGN_LICENSE = ("LicenseAssignment.ReadWrite.All", *READ_WRITE)
#: properties a PATCH may set, with the JSON type Graph expects
WRITABLE: dict[str, type] = {
    "accountEnabled": bool,
    "department": str,
    "jobTitle": str,
    "officeLocation": str,
    "companyName": str,
    "employeeType": str,
    "usageLocation": str,
    "displayName": str,
    "givenName": str,
    "surname": str,
    "mobilePhone": str,
}


def _bad_request(message: str, code: str = "Request_BadRequest") -> Response:
    from connectors.office365.sandbox.graph import graph_error

    return graph_error(400, code, message)


def _denied() -> Response:
    from connectors.office365.sandbox.graph import graph_error

    return graph_error(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        body = request.json()
    except ValueError:
        return _bad_request("Unable to read JSON request payload. Please ensure Content-Type header is set "
                            "and payload is of valid JSON format.", "BadRequest")  # fmt: skip
    if not isinstance(body, dict):
        return _bad_request("Write requests (excluding DELETE) must contain the Content-Type header declaration.",
                            "BadRequest")  # fmt: skip
    return body


def _is_guid(text: Any) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return isinstance(text, str)


class GraphWrites:
    """Write handlers bound to the sandbox's Graph API (same auth, throttling and lock)."""

    def __init__(self, api: GraphApi) -> None:
        self.api = api
        self.received: list[str] = []
        self.lock = threading.Lock()

    @property
    def tenant(self) -> Tenant:
        return self.api.tenant

    def build(self, router: Router) -> None:
        def guarded(handler: Any, roles: Any) -> Any:
            checked = self.api.guarded(handler, roles)

            def counted(request: Request) -> Response:
                # every write request that reaches Graph counts, refused or not (scenarios count them)
                with self.lock:
                    self.received.append(f"{request.method} {request.path}")
                return checked(request)

            return counted

        router.add("PATCH", r"/v1\.0/users/(?P<user>[^/]+)", guarded(self.update_user, ENABLE_DISABLE))
        router.add(
            "POST",
            r"/v1\.0/users/(?P<user>[^/]+)/(?:microsoft\.graph\.)?revokeSignInSessions",
            guarded(self.revoke_sessions, REVOKE),
        )
        router.add(
            "POST",
            r"/v1\.0/users/(?P<user>[^/]+)/(?:microsoft\.graph\.)?assignLicense",
            guarded(self.assign_license, ASSIGN_LICENSE),
        )
        from connectors.office365.sandbox.group_members import GroupMembers  # it builds on this module

        GroupMembers(self.api).build(router, guarded)

    def _user(self, request: Request) -> str | Response:
        from connectors.office365.sandbox.graph import graph_error

        user_id = self.tenant.find_user_or_none(request.params["user"])
        if user_id is None:
            return graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{request.params['user']}' does not exist or one of its queried "
                "reference-property objects are not present.",
            )
        return user_id

    def update_user(self, request: Request) -> Response:
        user_id = self._user(request)
        if isinstance(user_id, Response):
            return user_id
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        for name, value in body.items():
            expected = WRITABLE.get(name)
            if expected is None:
                return _bad_request(f"Invalid property '{name}'.")
            if not isinstance(value, expected) and not (value is None and expected is str):
                return _bad_request(f"Invalid value specified for property '{name}' of resource 'User'.")
        roles = token_roles(request.header("authorization"))
        only_enable = set(body) <= {"accountEnabled"}
        may_enable = "User.EnableDisableAccount.All" in roles and "User.Read.All" in roles
        if not roles & set(READ_WRITE) and not (only_enable and may_enable):
            return _denied()
        self.tenant.update_user(user_id, body)
        return Response(204, b"", {})

    def revoke_sessions(self, request: Request) -> Response:
        user_id = self._user(request)
        if isinstance(user_id, Response):
            return user_id
        now = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self.tenant.update_user(user_id, {"signInSessionsValidFromDateTime": now})
        return json_response(
            {"@odata.context": f"{self.api.sandbox.url}/v1.0/$metadata#Edm.Boolean", "value": True}
        )

    def _seat_free(self, sku_id: str) -> bool:
        """Whether one more user may take this subscription: active, and a prepaid unit unused."""
        found = next((k for k in self.tenant.skus if k.casefold() == sku_id.casefold()), None)
        if found is None:
            return False
        sku = self.tenant.skus[found]
        if sku["capabilityStatus"] in ("Suspended", "LockedOut", "Deleted"):
            return False
        units = sku["prepaidUnits"]
        return int(self.tenant.consumed_units()[found]) < int(units["enabled"]) + int(units["warning"])

    def assign_license(self, request: Request) -> Response:
        user_id = self._user(request)
        if isinstance(user_id, Response):
            return user_id
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        add, remove = body.get("addLicenses"), body.get("removeLicenses")
        if not isinstance(add, list) or not isinstance(remove, list):
            return _bad_request("Invalid request: both addLicenses and removeLicenses are required.")
        if not all(isinstance(a, dict) and _is_guid(a.get("skuId")) for a in add):
            return _bad_request("Invalid value specified for property 'skuId' of resource 'AssignedLicense'.")
        if not all(_is_guid(r) for r in remove):
            return _bad_request("Invalid GUID in removeLicenses.")
        user = self.tenant.users[user_id]
        held = {str(lic["skuId"]).casefold() for lic in user.get("assignedLicenses") or []}
        subscribed = {sku_id.casefold() for sku_id in self.tenant.skus}
        for sku_id in remove:
            if sku_id.casefold() not in held:
                return _bad_request("User does not have a corresponding license.")
        for licence in add:
            if str(licence["skuId"]).casefold() not in subscribed:
                return _bad_request(
                    f"License {licence['skuId']} does not correspond to a valid company License."
                )
        if add and not user.get("usageLocation"):
            return _bad_request("License assignment cannot be done for user with invalid usage location.")
        for licence in add:
            if str(licence["skuId"]).casefold() not in held and not self._seat_free(str(licence["skuId"])):
                return _bad_request(
                    f"Subscription with SKU {licence['skuId']} does not have any available licenses."
                )
        removed = {r.casefold() for r in remove}
        kept = [
            lic for lic in user.get("assignedLicenses") or [] if str(lic["skuId"]).casefold() not in removed
        ]
        kept_ids = {str(lic["skuId"]).casefold() for lic in kept}
        for licence in add:
            if str(licence["skuId"]).casefold() not in kept_ids:
                kept.append(
                    {"disabledPlans": list(licence.get("disabledPlans") or []), "skuId": licence["skuId"]}
                )
        self.tenant.update_user(user_id, {"assignedLicenses": kept})
        shape = self.tenant.project(self.tenant.users[user_id], ["displayName", "userPrincipalName", "id"])
        return json_response(
            {"@odata.context": f"{self.api.sandbox.url}/v1.0/$metadata#users/$entity", **shape}
        )
