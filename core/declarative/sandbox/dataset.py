"""The fixture sandbox's data: subjects from the seeded organisation (`core.sandbox.org.roster`),
rendered into each stream's API records by the definition's `sandbox.streams.*.record` templates.

A subject is a flat dict of canonical attributes (`employee_id`, `given_name`, `hire_date`,
`serial_number`...), so the admin vocabulary (hire, update, terminate, delete) speaks those names
whatever the API calls them. Every row has its own change time, one second apart at least, so a
connector that checkpoints before its records loses something a test can see.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core import clock
from core.declarative.definition import SandboxStreamDef, StreamDef
from core.sandbox.org import DEPARTMENTS, LOCATIONS, Person, roster

PERSON_ATTRIBUTES = (
    "index", "number", "employee_id", "worker_id", "given_name", "family_name", "preferred_name",
    "display_name", "email", "upn", "department", "department_name", "cost_center", "location",
    "location_name", "time_zone", "title", "manager_employee_id", "worker_type", "status", "hire_date",
    "termination_date", "changed_at",
)  # fmt: skip
DEVICE_ATTRIBUTES = (
    "index", "number", "serial_number", "asset_tag", "kind", "model", "manufacturer", "cost",
    "acquired_on", "custodian_employee_id", "custodian_email", "status", "changed_at",
)  # fmt: skip
_FORMATTER = string.Formatter()


def person_subject(person: Person) -> dict[str, Any]:
    return {
        "index": person.index,
        "number": person.index + 1,
        "employee_id": person.employee_id,
        "worker_id": person.worker_id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "preferred_name": person.preferred_name,
        "display_name": person.display_name,
        "email": person.email,
        "upn": person.upn,
        "department": person.department.code,
        "department_name": person.department.name,
        "cost_center": person.department.cost_center,
        "location": person.location,
        "location_name": LOCATIONS[person.location][0],
        "time_zone": person.time_zone,
        "title": person.title,
        "manager_employee_id": person.manager_employee_id,
        "worker_type": person.worker_type,
        "status": person.status,
        "hire_date": person.hire_date,
        "termination_date": person.termination_date,
    }


def subjects(kind: str, seed: int, scale: int) -> list[dict[str, Any]]:
    people = roster(seed, scale)
    if kind == "people":
        return [person_subject(p) for p in people]
    devices: list[dict[str, Any]] = []
    for person in people:
        for device in person.devices:
            devices.append(
                {
                    "index": len(devices),
                    "number": len(devices) + 1,
                    "serial_number": device.serial_number,
                    "asset_tag": device.asset_tag,
                    "kind": device.kind,
                    "model": device.model,
                    "manufacturer": device.manufacturer,
                    "cost": device.cost,
                    "acquired_on": device.acquired_on,
                    "custodian_employee_id": person.employee_id,
                    "custodian_email": person.email,
                    "status": "retired" if person.status == "terminated" else "in_use",
                }
            )
    return devices


def department(code: str) -> dict[str, Any]:
    """Department attributes of a subject for a department code (admin `hire`/`update`)."""
    for dept in DEPARTMENTS:
        if dept.code == code:
            return {
                "department": dept.code,
                "department_name": dept.name,
                "cost_center": dept.cost_center,
                "location": dept.location,
                "location_name": LOCATIONS[dept.location][0],
                "time_zone": LOCATIONS[dept.location][1],
            }
    known = ", ".join(d.code for d in DEPARTMENTS)
    raise ValueError(f"unknown department {code!r}; known: {known}")


def template_names(template: Any) -> set[str]:
    """Subject attributes a record template uses."""
    if isinstance(template, str):
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in _FORMATTER.parse(template) if name}
    if isinstance(template, dict):
        if "from" in template:
            return {str(template["from"])}
        return set().union(*(template_names(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(template_names(v) for v in template)) if template else set()
    return set()


def render(template: Any, subject: dict[str, Any]) -> Any:
    """One API value from a template: `"{attr}"` keeps the value's type (dates as ISO text),
    `"{a} {b}"` and format specs make text, `{from: attr, map: {...}, format:, empty:}` maps."""
    if isinstance(template, str):
        parts = list(_FORMATTER.parse(template))
        if len(parts) == 1 and parts[0][0] == "" and parts[0][1] and not parts[0][2]:
            return _plain(subject.get(parts[0][1]))
        if any(name and subject.get(name) is None for _, name, _, _ in parts):
            return None if len(parts) == 1 and parts[0][0] == "" else template.format_map(_Blank(subject))
        return template.format_map(subject)
    if isinstance(template, dict):
        if "from" in template:
            return _mapped(template, subject.get(str(template["from"])))
        return {key: render(value, subject) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, subject) for value in template]
    return template


def _mapped(spec: dict[str, Any], value: Any) -> Any:
    if value is None:
        return spec.get("empty")
    if "format" in spec and isinstance(value, (date, datetime)):
        return value.strftime(str(spec["format"]))
    if "map" in spec:
        mapping = spec["map"]
        return mapping.get(value, mapping.get(str(value), spec.get("default", value)))
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""

    def __getitem__(self, key: str) -> Any:
        value = super().get(key)
        return "" if value is None else value


@dataclass
class Row:
    subject: dict[str, Any]
    changed_at: datetime
    deleted: bool = False


@dataclass
class Table:
    """The records of one stream, keyed by their primary key, each with its change time."""

    name: str
    spec: StreamDef
    fixture: SandboxStreamDef
    rows: dict[str, Row] = field(default_factory=dict)
    last_change: datetime | None = None
    #: the next listing carries its first record twice (the contract kit's duplicate check)
    duplicate_next: bool = False
    #: selections by filter, valid until the next change (a listing is paged through many requests)
    _selections: dict[Any, list[tuple[str, Row]]] = field(default_factory=dict)

    def record(self, row: Row) -> dict[str, Any]:
        subject = {**row.subject, "changed_at": row.changed_at}
        record = render(self.fixture.record, subject)
        if row.deleted and self.spec.deleted is not None:
            record[self.spec.deleted.field] = self.spec.deleted.values()[0]
        return record

    def key_of(self, subject: dict[str, Any]) -> str:
        record = render(self.fixture.record, {**subject, "changed_at": clock.now()})
        return "|".join(str(record.get(name)) for name in self.spec.primary_key)

    def stamp(self) -> datetime:
        """A change time after every earlier one, in whole seconds (the hub clock's, at least)."""
        now = clock.now().replace(microsecond=0)
        moment = (
            now
            if self.last_change is None or now > self.last_change
            else self.last_change + timedelta(seconds=1)
        )
        self.last_change = moment
        return moment

    def put(self, subject: dict[str, Any], *, deleted: bool = False) -> str:
        key = self.key_of(subject)
        self.rows[key] = Row(dict(subject), self.stamp(), deleted)  # keeps its place: listings go by key
        self._selections.clear()
        return key

    def seed(self, seeded: list[dict[str, Any]]) -> None:
        """Rows for the seeded organisation, one second apart, ending a second before now."""
        start = clock.now().replace(microsecond=0) - timedelta(seconds=len(seeded) + 1)
        for offset, subject in enumerate(seeded):
            key = self.key_of(subject)
            self.rows[key] = Row(dict(subject), start + timedelta(seconds=offset))
        self._selections.clear()
        self.last_change = start + timedelta(seconds=max(0, len(seeded) - 1))

    def live(self) -> list[tuple[str, Row]]:
        return self.select(None, inclusive=True, deleted=False)

    def select(self, since: datetime | None, *, inclusive: bool, deleted: bool) -> list[tuple[str, Row]]:
        """Rows in key order, changed since `since` (all when None), with or without deleted ones."""
        token = (since, inclusive, deleted)
        found = self._selections.get(token)
        if found is None:
            found = [
                (k, r)
                for k, r in self.rows.items()
                if (deleted or not r.deleted)
                and (since is None or (r.changed_at >= since if inclusive else r.changed_at > since))
            ]
            self._selections[token] = found
        return found
