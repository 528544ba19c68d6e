"""Resolution rules from `hub.yaml` (`resolution:`), with defaults that fit most agencies.

```yaml
resolution:
  person:
    match:                       # evaluated in order; the first rule with exactly one candidate wins
      - {name: employee_id, fields: [employee_id]}
      - {name: previous_employee_id, fields: [previous_employee_id], index: employee_id}
      - {name: email, fields: [work_email, upn], normalize: email}
    precedence:                  # instance names or connector types, most trusted first
      default: [workday, munis, office365]
      work_email: [office365, workday, munis]
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigError

Normalizer = Literal["exact", "trim", "upper", "lower", "email", "serial", "name"]


class MatchRule(BaseModel):
    """Match on `fields` (alternatives: each non-empty field gives a key) looked up in `index`.

    With `combine: true` the fields are joined into one key (all must be present), for attribute
    combinations such as family name + given name + hire date.
    """

    model_config = ConfigDict(extra="forbid")
    name: str
    fields: list[str]
    normalize: Normalizer = "trim"
    index: str | None = None
    combine: bool = False
    sources: list[str] | None = None

    @property
    def index_name(self) -> str:
        return self.index or self.name


class EntityRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: list[MatchRule] = Field(default_factory=list)
    precedence: dict[str, list[str]] = Field(default_factory=dict)

    def sources_for(self, field: str) -> list[str]:
        return self.precedence.get(field) or self.precedence.get("default") or []


def _rules(*rules: dict[str, Any]) -> list[MatchRule]:
    return [MatchRule.model_validate(r) for r in rules]


DEFAULTS: dict[str, EntityRules] = {
    "person": EntityRules(
        match=_rules(
            {"name": "employee_id", "fields": ["employee_id"], "normalize": "upper"},
            {
                "name": "previous_employee_id",
                "fields": ["previous_employee_id"],
                "normalize": "upper",
                "index": "employee_id",
            },
            {"name": "email", "fields": ["work_email", "upn"], "normalize": "email"},
        ),
        precedence={
            "default": ["workday", "munis", "office365"],
            "work_email": ["office365", "workday", "munis"],
            "upn": ["office365", "workday", "munis"],
        },
    ),
    "org_unit": EntityRules(
        match=_rules({"name": "code", "fields": ["code"], "normalize": "upper"}),
        precedence={"default": ["workday", "munis"]},
    ),
    "account": EntityRules(
        match=_rules({"name": "account", "fields": ["system", "external_id"], "combine": True})
    ),
    "asset": EntityRules(
        match=_rules(
            {"name": "serial_number", "fields": ["serial_number"], "normalize": "serial"},
            {"name": "asset_tag", "fields": ["asset_tag"], "normalize": "upper"},
        ),
        precedence={
            "default": ["munis", "office365"],
            "operating_system": ["office365", "munis"],
            "compliance": ["office365"],
            "last_sync": ["office365"],
            "primary_user_upn": ["office365"],
            "name": ["office365", "munis"],
        },
    ),
    "cloud_account": EntityRules(
        match=_rules({"name": "cloud_account", "fields": ["provider", "account_id"], "combine": True})
    ),
    "cloud_resource": EntityRules(
        match=_rules({"name": "cloud_resource", "fields": ["provider", "resource_id"], "combine": True})
    ),
    "licence": EntityRules(match=_rules({"name": "sku_id", "fields": ["sku_id"], "normalize": "lower"})),
}

#: the order entities are resolved in: people first, so links to them resolve in the same pass
ENTITY_ORDER = ("person", "org_unit", "licence", "cloud_account", "account", "asset", "cloud_resource")


def load_rules(section: dict[str, Any]) -> dict[str, EntityRules]:
    """Defaults overridden per entity (match and/or precedence) by the hub.yaml section."""
    rules = dict(DEFAULTS)
    for entity, spec in (section or {}).items():
        if entity not in DEFAULTS:
            raise ConfigError(
                f"hub.yaml resolution: unknown entity {entity!r}", hint=f"known: {', '.join(DEFAULTS)}"
            )
        base = DEFAULTS[entity].model_dump()
        base.update({k: v for k, v in (spec or {}).items()})
        try:
            rules[entity] = EntityRules.model_validate(base)
        except Exception as exc:
            raise ConfigError(f"hub.yaml resolution.{entity}: {exc}") from None
    return rules
