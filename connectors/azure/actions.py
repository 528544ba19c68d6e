"""The Azure action: tag a leaver's resources for reassignment (`hub-owner-left: <date>`), through
ARM's Tags API at the resource's scope (Tags - Get At Scope, then Update At Scope with `Merge`, so
no other tag is touched). Never a delete: whoever picks the resource up decides its fate.

It reads the resource's tags first, in `plan()` and again in `execute()`, and sends nothing when
the tag already holds the date, so a rerun after a crash changes nothing twice. The target is the
resource's ARM ID; the `date` param is the day the owner left. Needs `Microsoft.Resources/tags/
write` (the Tag Contributor role) and `actions_enabled: true`: see the README's "Write actions".
"""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.azure.client import AzureClient, plain, translated
from connectors.azure.config import AzureConfig
from core.actions import Action, Exchange, Executor, Outcome, Plan, require_opt_in
from core.errors import RecordError
from core.vocabulary import ActionKind

TAG = "hub-owner-left"


class ActionRefusedError(RecordError):
    """The target is not an ARM resource ID."""


def _subscription(action: Action) -> str:
    parts = action.target.split("/")
    if len(parts) < 5 or parts[1].lower() != "subscriptions" or not parts[2]:
        raise ActionRefusedError(
            f"{action.instance}: {action.kind}: target {action.target!r} is not an ARM resource ID "
            "(/subscriptions/<id>/resourceGroups/<group>/providers/...)"
        )
    return parts[2]


class TagOwnerLeft:
    """`PATCH {id}/providers/Microsoft.Resources/tags/default` with `Merge` of the one tag."""

    kind: ClassVar[ActionKind] = "azure.tag_owner_left"

    def __init__(self, client: AzureClient) -> None:
        self.client = client

    def _tags(self, action: Action) -> dict[str, str]:
        tags_api = self.client.resource_client(_subscription(action)).tags
        with translated(f"reading the tags of {action.target}", self.client.config):
            found = plain(tags_api.get_at_scope(action.target))
        return dict(((found or {}).get("properties") or {}).get("tags") or {})

    def plan(self, action: Action) -> Plan:
        if action.kind != self.kind:
            raise ValueError(f"{type(self).__name__} runs {self.kind}, not {action.kind}")
        tags = self._tags(action)
        wanted = action.param("date")
        held = next((v for k, v in tags.items() if k.lower() == TAG), None)
        changes = () if held == wanted else (f"tag {TAG}: {held or 'absent'} -> {wanted}",)
        return Plan(action, {"tags": tags}, changes)

    def execute(self, action: Action) -> Outcome:
        plan = self.plan(action)
        if plan.noop:
            return Outcome(plan)
        body: dict[str, Any] = {"operation": "Merge", "properties": {"tags": {TAG: action.param("date")}}}
        tags_api = self.client.resource_client(_subscription(action)).tags
        with translated(f"tagging {action.target}", self.client.config):
            answer = plain(tags_api.begin_update_at_scope(action.target, body).result())
        request = f"PATCH {action.target}/providers/Microsoft.Resources/tags/default"
        return Outcome(plan, (Exchange(request, body, 200, answer),))


def executors(config: AzureConfig, client: AzureClient, instance: str) -> dict[ActionKind, Executor]:
    """The Azure executors of an instance that opted in; refuses one that has not."""
    require_opt_in(instance, config.actions_enabled)
    return {TagOwnerLeft.kind: TagOwnerLeft(client)}
