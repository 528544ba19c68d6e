"""The Case table of the Salesforce sandbox: field metadata, validation with Salesforce's error
codes, upsert on the external ID, and the describe document. No HTTP here (see sandbox.py)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import clock
from core.sandbox.org import roster

#: Case Status picklist as an agency org configures it: (value, IsClosed, default)
CASE_STATUSES = [
    ("New", False, True),
    ("Working", False, False),
    ("Escalated", False, False),
    ("On Hold", False, False),
    ("Resolved", True, False),
    ("Closed", True, False),
    ("Cancelled", True, False),
]
PICKLISTS = {
    "Status": [s[0] for s in CASE_STATUSES],
    "Priority": ["High", "Medium", "Low"],
    "Origin": ["Phone", "Email", "Web"],
    "Type": ["Access", "Hardware", "Software", "Other"],
}
SEED_SUBJECTS = [
    "Password reset for {name}",
    "VPN does not connect from home ({name})",
    "Laptop {tag} battery swelling",
    "Printer on 2nd floor jams (reported by {name})",
    "Shared mailbox access for {name}",
    "Phone {tag} screen cracked",
]


_SOQL_BY_IDS = re.compile(
    r"SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+Case\s+WHERE\s+Id\s+IN\s*\((?P<ids>(?:\s*'[A-Za-z0-9]+'\s*,?)+)\)",
    re.IGNORECASE,
)


class ApiError(Exception):
    """A Salesforce REST error: HTTP status and the `[{"message","errorCode","fields"}]` body."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: list[dict[str, Any]] = [{"message": message, "errorCode": code, "fields": fields or []}]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str
    length: int = 0
    createable: bool = True
    updateable: bool = True
    external_id: bool = False


def case_fields(external_id_field: str, due_field: str) -> dict[str, FieldSpec]:
    specs = [
        FieldSpec("Id", "Case ID", "id", 18, False, False),
        FieldSpec("CaseNumber", "Case Number", "string", 30, False, False),
        FieldSpec("Subject", "Subject", "string", 255),
        FieldSpec("Description", "Description", "textarea", 32000),
        FieldSpec("Status", "Status", "picklist", 255),
        FieldSpec("IsClosed", "Closed", "boolean", 0, False, False),
        FieldSpec("Priority", "Priority", "picklist", 255),
        FieldSpec("Origin", "Case Origin", "picklist", 255),
        FieldSpec("Type", "Case Type", "picklist", 255),
        FieldSpec("OwnerId", "Owner ID", "reference", 18),
        FieldSpec("RecordTypeId", "Record Type ID", "reference", 18),
        FieldSpec("Comments", "Internal Comments", "textarea", 4000),
        FieldSpec("SuppliedName", "Name", "string", 80),
        FieldSpec("CreatedDate", "Created Date", "datetime", 0, False, False),
        FieldSpec("LastModifiedDate", "Last Modified Date", "datetime", 0, False, False),
        FieldSpec("ClosedDate", "Closed Date", "datetime", 0, False, False),
        FieldSpec(external_id_field, "Hub Key", "string", 255, external_id=True),
        FieldSpec(due_field, "Hub Due", "datetime"),
    ]
    return {s.name: s for s in specs}


def sf_now() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_sf_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("+0000", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@dataclass
class CaseTable:
    """Cases by Id, with the external ID index and the org's daily API counter."""

    api_version: str
    external_id_field: str = "Hub_Key__c"
    due_field: str = "Hub_Due__c"
    key_is_unique: bool = True
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[str]] = field(default_factory=dict)
    _sequence: int = 0
    #: lower-cased key -> Case Ids (external ID matching is case-insensitive in Salesforce)
    _by_key: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fields = case_fields(self.external_id_field, self.due_field)

    # -- reading ---------------------------------------------------------------------------
    def ids_with_key(self, key: str) -> list[str]:
        return list(self._by_key.get(key.lower(), []))

    def _index(self, case_id: str, old_key: Any, new_key: Any) -> None:
        if old_key:
            self._by_key[str(old_key).lower()].remove(case_id)
        if new_key:
            self._by_key.setdefault(str(new_key).lower(), []).append(case_id)

    def delete(self, case_id: str) -> None:
        case = self.cases.pop(case_id)
        self._index(case_id, case.get(self.external_id_field), None)

    def record(self, case_id: str, fields: list[str] | None = None) -> dict[str, Any]:
        case = self.cases.get(case_id)
        if case is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        names = fields or [n for n in self.fields if n != "Comments"]
        unknown = [n for n in names if n not in self.fields]
        if unknown:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type Case")
        out: dict[str, Any] = {"attributes": self.attributes(case_id)}
        out.update({n: case.get(n) for n in names})
        return out

    def query(self, soql: str) -> list[dict[str, Any]]:
        """The one SOQL shape the sink sends: `SELECT fields FROM Case WHERE Id IN ('..', ..)`.
        Anything else is refused as a real org refuses what it cannot parse."""
        match = _SOQL_BY_IDS.fullmatch(soql.strip())
        if match is None:
            raise ApiError(
                400,
                "MALFORMED_QUERY",
                f"the sandbox answers only SELECT ... FROM Case WHERE Id IN (...): {soql[:80]}",
            )
        if len(soql) > 100_000:
            raise ApiError(400, "MALFORMED_QUERY", "SOQL statements cannot exceed 100,000 characters")
        names = [n.strip() for n in match["fields"].split(",")]
        ids = re.findall(r"'([^']*)'", match["ids"])
        return [self.record(i, names) for i in ids if i in self.cases]

    def attributes(self, case_id: str) -> dict[str, str]:
        return {"type": "Case", "url": f"/services/data/v{self.api_version}/sobjects/Case/{case_id}"}

    # -- writing ---------------------------------------------------------------------------
    def validate(self, body: Any, *, creating: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        unknown = [n for n in body if n not in self.fields]
        if unknown:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type Case")
        locked = [
            n for n in body if not (self.fields[n].createable if creating else self.fields[n].updateable)
        ]
        if locked:
            raise ApiError(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(locked)}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission set.",
                locked,
            )
        for name, value in body.items():
            self._check_value(self.fields[name], value)
        return dict(body)

    def _check_value(self, spec: FieldSpec, value: Any) -> None:
        if value is None:
            return
        if spec.type in ("string", "textarea"):
            if not isinstance(value, str):
                raise ApiError(400, "JSON_PARSER_ERROR", f"Cannot deserialize {spec.name}: expected text")
            if len(value) > spec.length:
                raise ApiError(
                    400,
                    "STRING_TOO_LONG",
                    f"{spec.label}: data value too large: {value[:40]} (max length={spec.length})",
                    [spec.name],
                )
        elif spec.type == "picklist" and value not in PICKLISTS[spec.name]:
            raise ApiError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{spec.label}: bad value for restricted picklist field: {value}",
                [spec.name],
            )
        elif spec.type == "datetime" and not parse_sf_datetime(value):
            raise ApiError(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of datetime from VALUE_STRING value {value} "
                "or request may be missing a required field",
            )
        elif spec.type == "reference":
            prefix = "012" if spec.name == "RecordTypeId" else ("005", "00G")
            if not (isinstance(value, str) and value.startswith(prefix) and len(value) in (15, 18)):
                raise ApiError(
                    400, "MALFORMED_ID", f"{spec.label}: id value of incorrect type: {value}", [spec.name]
                )

    def insert(self, values: dict[str, Any]) -> str:
        self._sequence += 1
        case_id = f"500Sb{self._sequence:010d}AAQ"
        now = sf_now()
        case: dict[str, Any] = dict.fromkeys(self.fields)
        case.update(
            {
                "Id": case_id,
                "CaseNumber": f"{1000 + self._sequence:08d}",
                "Status": next(s for s, _, default in CASE_STATUSES if default),
                "Priority": "Medium",
                "OwnerId": "005Sb000000HubAAA",
                "CreatedDate": now,
            }
        )
        self.cases[case_id] = case
        self.apply(case_id, values)
        return case_id

    def apply(self, case_id: str, values: dict[str, Any]) -> None:
        case = self.cases.get(case_id)
        if case is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        values = dict(values)
        comment = values.pop("Comments", None)
        if comment:
            self.comments.setdefault(case_id, []).append(comment)
        if self.external_id_field in values:
            self._index(case_id, case.get(self.external_id_field), values[self.external_id_field])
        case.update(values)
        closed = next(c for s, c, _ in CASE_STATUSES if s == case["Status"])
        if closed and not case["IsClosed"]:
            case["ClosedDate"] = sf_now()
        case["IsClosed"] = closed
        case["LastModifiedDate"] = sf_now()

    def upsert(self, key: str, body: Any) -> tuple[int, Any]:
        """PATCH by external ID: 201 created, 200 updated (API 46.0+), 300 if the key is ambiguous."""
        matches = self.ids_with_key(key)
        if len(matches) > 1:
            return 300, [self.attributes(i)["url"] for i in matches]
        values = self.validate(body, creating=not matches)
        values.pop(self.external_id_field, None)
        if matches:
            self.apply(matches[0], values)
            return 200, {"id": matches[0], "success": True, "errors": [], "created": False}
        case_id = self.insert({**values, self.external_id_field: key})
        return 201, {"id": case_id, "success": True, "errors": [], "created": True}

    # -- metadata --------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "name": "Case",
            "label": "Case",
            "keyPrefix": "500",
            "createable": True,
            "updateable": True,
            "queryable": True,
            "fields": [self._describe_field(s) for s in self.fields.values()],
            "urls": {"sobject": f"/services/data/v{self.api_version}/sobjects/Case"},
        }

    def _describe_field(self, spec: FieldSpec) -> dict[str, Any]:
        picklist = [
            {"active": True, "defaultValue": v == "New", "label": v, "validFor": None, "value": v}
            for v in PICKLISTS.get(spec.name, [])
        ]
        return {
            "name": spec.name,
            "label": spec.label,
            "type": spec.type,
            "length": spec.length,
            "createable": spec.createable,
            "updateable": spec.updateable,
            "nillable": spec.createable,
            "externalId": spec.external_id,
            "unique": spec.external_id and self.key_is_unique,
            "idLookup": spec.external_id or spec.name in ("Id", "CaseNumber"),
            "picklistValues": picklist,
        }

    # -- demo data -------------------------------------------------------------------------
    def seed(self, seed: int, scale: int) -> None:
        """Ordinary service-desk Cases of the demo organisation (none carries a hub key)."""
        rng = random.Random(seed * 31 + 5)
        for person in roster(seed, scale):
            if rng.random() >= 0.5:
                continue
            tag = person.devices[0].asset_tag if person.devices else "AT-unknown"
            subject = rng.choice(SEED_SUBJECTS).format(name=person.display_name, tag=tag)
            case_id = self.insert(
                {
                    "Subject": subject,
                    "Description": f"Reported by {person.email} ({person.employee_id}).",
                    "Priority": rng.choice(PICKLISTS["Priority"]),
                    "Origin": rng.choice(PICKLISTS["Origin"]),
                    "Type": rng.choice(PICKLISTS["Type"]),
                    "SuppliedName": person.display_name[:80],
                }
            )
            self.apply(case_id, {"Status": rng.choice(["New", "Working", "Closed", "Closed"])})
