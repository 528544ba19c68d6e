"""The sandbox's Graph group endpoints the hub's group actions use, with Graph's rules.

- `GET /groups?$filter=displayName eq '...'` (and `GET /groups/{id}`): finding a group by name.
  Needs GroupMember.Read.All, Group.Read.All or a Directory permission.
- `POST /groups/{id}/members/$ref` with `{"@odata.id": ".../directoryObjects/{id}"}`: 204; 400
  when the object is already a member, 404 when it does not exist.
- `DELETE /groups/{id}/members/{id}/$ref`: 204; 404 when the object is not a member.
Both need GroupMember.ReadWrite.All (or Group.ReadWrite.All / Directory.ReadWrite.All), and
RoleManagement.ReadWrite.Directory too on a role-assignable group (403 without). A dynamic
group's members are Entra's to manage (403 Authorization_RequestDenied, as Graph answers); an
on-premises-synced group's are AD's (400 "originated within an external service").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.office365.sandbox.graph_writes import _bad_request, _denied, _json_object
from connectors.office365.sandbox.login import token_roles
from connectors.office365.sandbox.tenant import Group
from core.sandbox.server import Request, Response, Router, json_response

if TYPE_CHECKING:
    from connectors.office365.sandbox.graph import GraphApi

MEMBERS_WRITE = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
GROUPS_READ = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", *MEMBERS_WRITE)
ROLE_GROUPS = "RoleManagement.ReadWrite.Directory"
NAME_FILTER = re.compile(r"^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$")
REFERENCE = re.compile(r"/directoryObjects/([^/]+)$")


def _not_found(ref: str) -> Response:
    from connectors.office365.sandbox.graph import graph_error

    return graph_error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{ref}' does not exist or one of its queried reference-property objects are not present.",
    )


class GroupMembers:
    """Group lookups and membership writes bound to the sandbox's Graph API."""

    def __init__(self, api: GraphApi) -> None:
        self.api = api

    def build(self, router: Router, write: Callable[[Any, tuple[str, ...]], Any]) -> None:
        """`write` guards a handler and counts it among the write requests (scenarios count them)."""
        guarded = self.api.guarded
        router.add("GET", r"/v1\.0/groups", guarded(self.list_groups, GROUPS_READ))
        router.add("GET", r"/v1\.0/groups/(?P<group>[^/]+)", guarded(self.get_group, GROUPS_READ))
        router.add(
            "POST", r"/v1\.0/groups/(?P<group>[^/]+)/members/\$ref", write(self.add_member, MEMBERS_WRITE)
        )
        router.add(
            "DELETE",
            r"/v1\.0/groups/(?P<group>[^/]+)/members/(?P<member>[^/]+)/\$ref",
            write(self.remove_member, MEMBERS_WRITE),
        )

    def _group(self, ref: str) -> Group | None:
        return self.api.tenant.groups.get(ref)

    def list_groups(self, request: Request) -> Response:
        text = request.arg("$filter") or ""
        groups = list(self.api.tenant.groups.values())
        if text:
            found = NAME_FILTER.match(text)
            if found is None:
                return _bad_request(f"Unsupported or invalid query filter clause specified: {text}")
            name = found[1].replace("''", "'")
            groups = [g for g in groups if g.displayName == name]
        return json_response(
            {"@odata.context": self.api._context("groups"), "value": [g.as_graph() for g in groups]}
        )

    def get_group(self, request: Request) -> Response:
        group = self._group(request.params["group"])
        if group is None:
            return _not_found(request.params["group"])
        return json_response({"@odata.context": self.api._context("groups") + "/$entity", **group.as_graph()})

    def _refused(self, request: Request, group: Group) -> Response | None:
        """What Graph refuses whatever the member: groups whose members are not Graph's to change."""
        if group.dynamic:
            return _denied()
        if group.onPremisesSyncEnabled:
            return _bad_request(
                "Unable to update the specified properties for objects that have originated within an "
                "external service."
            )
        if group.isAssignableToRole and ROLE_GROUPS not in token_roles(request.header("authorization")):
            return _denied()
        return None

    def add_member(self, request: Request) -> Response:
        group = self._group(request.params["group"])
        if group is None:
            return _not_found(request.params["group"])
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        found = REFERENCE.search(str(body.get("@odata.id") or ""))
        if found is None or set(body) != {"@odata.id"}:
            return _bad_request("Invalid URL format specified in @odata.bind for members", "BadRequest")
        refused = self._refused(request, group)
        if refused is not None:
            return refused
        member = self.api.tenant.find_user_or_none(found[1])
        if member is None or member != found[1]:  # a directoryObjects reference is by id only
            return _not_found(found[1])
        if member in group.members:
            return _bad_request(
                "One or more added object references already exist for the following modified "
                "properties: 'members'."
            )
        group.members.add(member)
        return Response(204, b"", {})

    def remove_member(self, request: Request) -> Response:
        group = self._group(request.params["group"])
        if group is None:
            return _not_found(request.params["group"])
        refused = self._refused(request, group)
        if refused is not None:
            return refused
        member = request.params["member"]
        if member not in group.members:
            return _not_found(member)
        group.members.discard(member)
        return Response(204, b"", {})
