"""Playbooks: YAML that turns an event into a ticket (title, description, priority, group, tasks).

Shipped in `mappings/playbooks/`; a deployment overrides a whole playbook by putting a file of the
same event name in one of `lifecycle.playbook_dirs`. Templates substitute `{field}` from the
person (and `before_<field>` for values before the change) — plain substitution, no code.
Tasks may be conditional (`when: {worker_type: [employee]}`, `when: {changed: org_unit}`) or
generated from the person's footprint (`footprint: accounts`), and may carry an `action:` the hub
performs itself (`core/actions/policy.py`, docs/policies.md). Errors name the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.actions.policy import KIND_FOOTPRINTS, ActionSpec
from core.config.yaml_lines import Location, line_of, load_yaml_with_lines
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
    #: what the hub does itself for this task (`action: entra.disable_account` or a mapping)
    action: ActionSpec | None = None


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
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read playbook: {exc.strerror}") from None
    return _parsed(str(path), text).model_copy(deep=True)


@lru_cache(maxsize=128)
def _parsed(path: str, text: str) -> Playbook:
    data, lines = load_yaml_with_lines(text, path)

    def where(loc: Location) -> str:
        line = line_of(lines, loc)
        return f"{path}:{line}" if line else str(path)

    try:
        book = Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "playbook"
        raise ConfigError(f"{where(loc)}: invalid playbook: {field}: {first['msg']}") from None
    for index, spec in enumerate(book.tasks):
        task = ("tasks", index)
        if (spec.title is None) == (spec.footprint is None):
            raise ConfigError(f"{where(task)}: each task needs exactly one of title or footprint")
        if spec.footprint is not None and spec.footprint not in FOOTPRINTS:
            raise ConfigError(
                f"{where((*task, 'footprint'))}: unknown footprint {spec.footprint!r}",
                hint=f"one of {', '.join(FOOTPRINTS)}",
            )
        if spec.action is not None and spec.footprint is not None:
            fits = KIND_FOOTPRINTS[spec.action.family]
            if spec.footprint not in fits:
                raise ConfigError(
                    f"{where((*task, 'action'))}: action {spec.action.kind} cannot act on "
                    f"footprint {spec.footprint!r}",
                    hint=f"put it on a task with footprint {' or '.join(fits)}, or on a titled task",
                )
    return book
