"""Playbooks: YAML that turns an event into a ticket (title, description, priority, group, tasks).

Shipped in `mappings/playbooks/`; a deployment overrides a whole playbook by putting a file of the
same event name in one of `lifecycle.playbook_dirs`. Templates substitute `{field}` from the
person (and `before_<field>` for values before the change) — plain substitution, no code.
Tasks may be conditional (`when: {worker_type: [employee]}`, `when: {changed: org_unit}`) or
generated from the person's footprint (`footprint: accounts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.config.yaml_lines import safe_load
from core.errors import ConfigError

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
FOOTPRINTS = ("accounts", "licences", "assets", "iam_users", "access_keys", "cloud_resources")


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    footprint: str | None = None
    #: tag keys naming an owner for `footprint:` (case-insensitive); default owner/Owner/OWNER/EmployeeId
    owner_tags: list[str] | None = None
    when: dict[str, Any] = Field(default_factory=dict)


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: str
    ticket_type: str
    title: str
    description: str = ""
    priority: str = "normal"
    assignment_group: str = "Service Desk"
    tasks: list[TaskSpec] = Field(default_factory=list)


@dataclass
class TemplateValues:
    """Values for `{placeholders}`: person fields, `before_` fields and event facts."""

    values: dict[str, Any] = field(default_factory=dict)

    def render(self, template: str) -> str:
        return PLACEHOLDER.sub(lambda m: _text(self.values.get(m.group(1))), template).strip()


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def task_applies(spec: TaskSpec, person: dict[str, Any], changed: set[str]) -> bool:
    for name, wanted in spec.when.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if name == "changed":
            if not changed & set(options):
                return False
        elif person.get(name) not in options:
            return False
    return True


def load_playbooks(
    shipped: Path, overrides: list[Path], packaged: list[Path] | None = None
) -> dict[str, Playbook]:
    """Playbooks by event type; later directories replace earlier files of the same event.

    `packaged` directories (shipped by connector packages) come first, so the repository's
    playbooks and the deployment's override directories win over them.
    """
    books: dict[str, Playbook] = {}
    for directory in [*(packaged or []), shipped, *overrides]:
        if not directory.is_dir():
            if directory in overrides:
                raise ConfigError(f"playbook directory {directory} does not exist")
            continue
        for path in sorted(directory.glob("*.yaml")):
            book = _load(path)
            books[book.event] = book
    return books


def _load(path: Path) -> Playbook:
    """The playbook in `path`, a copy of its own to the caller (parsed once per file text: every
    lifecycle run reads the same files, and an edited one is parsed again)."""
    return _parsed(str(path), path.read_text(encoding="utf-8")).model_copy(deep=True)


@lru_cache(maxsize=128)
def _parsed(path: str, text: str) -> Playbook:
    try:
        data = safe_load(text)
        book = Playbook.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: invalid playbook: {exc}") from None
    for spec in book.tasks:
        if (spec.title is None) == (spec.footprint is None):
            raise ConfigError(f"{path}: each task needs exactly one of title or footprint")
        if spec.footprint is not None and spec.footprint not in FOOTPRINTS:
            raise ConfigError(
                f"{path}: unknown footprint {spec.footprint!r}", hint=f"one of {', '.join(FOOTPRINTS)}"
            )
    return book
