"""When the hub may act on its own: the policy of each action (`auto`, `approve`, `manual`), the
playbook's `action:` field that names it, and the mass-change guard's limit.

Defaults are conservative: a leaver's account disable and access-key deactivation wait for an
approval (`approve`); everything else stays a task for a technician (`manual`) until a playbook
or `lifecycle.actions.policies` in hub.yaml says otherwise (docs/policies.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocabulary import ActionKind, ActionPolicy

#: what a leaver's actions default to when neither the playbook nor hub.yaml names a policy
LEAVER_APPROVE: frozenset[str] = frozenset({"entra.disable_account", "aws.deactivate_access_keys"})
#: kinds the hub plans itself as reversals; a playbook cannot ask for them
REVERSALS: dict[str, ActionKind] = {
    "entra.disable_account": "entra.enable_account",
    "entra.remove_groups": "entra.restore_groups",
    "aws.deactivate_access_keys": "aws.reactivate_access_keys",
}
#: kinds that act on what the playbook names (`groups:`, `licences:`), not on what the user holds
NAMES_OBJECTS: dict[str, str] = {"entra.add_groups": "groups", "entra.add_licences": "licences"}
#: kinds that prepare a task rather than do it: their task gets the evidence as a note and stays
#: open (tagging a resource for reassignment does not reassign it)
PREPARES_ONLY: frozenset[str] = frozenset({"azure.tag_owner_left"})
#: the connector type and the canonical account system each action kind acts through
KIND_SYSTEMS: dict[str, tuple[str, str]] = {
    "entra": ("office365", "entra"),
    "aws": ("aws", "aws_iam"),
    "azure": ("azure", "azure"),
}
#: the footprints whose objects an action kind can act on (a titled task acts on all of them)
KIND_FOOTPRINTS: dict[str, tuple[str, ...]] = {
    "entra": ("accounts", "licences"),
    "aws": ("iam_users", "access_keys"),
    "azure": ("cloud_resources",),
}


class ActionSpec(BaseModel):
    """A playbook task's `action:` (`action: entra.disable_account`, or a mapping with `kind`,
    `system` naming one connector instance, and `policy`)."""

    model_config = ConfigDict(extra="forbid")
    kind: ActionKind
    #: the connector instance to act through; every instance of the kind's connector type that
    #: opted in (`actions_enabled: true`) when not given
    system: str | None = None
    policy: ActionPolicy | None = None
    #: the groups (display names or ids) an `entra.add_groups` adds
    groups: list[str] | None = None
    #: the licences (skuPartNumbers or skuIds) an `entra.add_licences` assigns
    licences: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _not_a_reversal(self) -> ActionSpec:
        if self.kind in REVERSALS.values():
            raise ValueError(
                f"{self.kind} is planned by the hub when a termination is reversed, not by a playbook"
            )
        return self

    @model_validator(mode="after")
    def _names_its_objects(self) -> ActionSpec:
        wanted = NAMES_OBJECTS.get(self.kind)
        for name in ("groups", "licences"):
            given = getattr(self, name)
            if name == wanted and not given:
                raise ValueError(f"{self.kind} needs `{name}:` (the {name} to add, by name or id)")
            if name != wanted and given is not None:
                raise ValueError(f"`{name}:` is only for entra.add_{name}, not {self.kind}")
        return self

    def named_objects(self) -> tuple[tuple[str, str], ...]:
        """The playbook's groups or licences as the action's params (comma-separated)."""
        wanted = NAMES_OBJECTS.get(self.kind)
        values = getattr(self, wanted) if wanted else None
        return ((wanted, ",".join(v.strip() for v in values)),) if wanted and values else ()

    @property
    def family(self) -> str:
        return self.kind.split(".", 1)[0]


class ActionsConfig(BaseModel):
    """`lifecycle.actions` in hub.yaml."""

    model_config = ConfigDict(extra="forbid")
    #: a policy per action kind, over every playbook's (the deployment's word wins)
    policies: dict[ActionKind, ActionPolicy] = Field(default_factory=dict)
    #: more account disables than this released in one run are held for `hub approve`
    max_disables_per_run: int = Field(default=10, ge=1)


def effective_policy(config: ActionsConfig, spec: ActionSpec, event_type: str) -> ActionPolicy:
    """hub.yaml's policy for the kind, else the playbook task's, else the default."""
    if spec.kind in config.policies:
        return config.policies[spec.kind]
    if spec.policy is not None:
        return spec.policy
    return "approve" if event_type == "leaver" and spec.kind in LEAVER_APPROVE else "manual"
