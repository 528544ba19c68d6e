"""The generic fixture sandbox: any declarative source's API, served over HTTPS from the seeded
organisation, without writing a fake.

It serves what the definition declares (auth, paging, `since` filtering, a changed-ids endpoint
with per-id reads), stamps every record with its own change time, speaks the standard admin
vocabulary (`hire`, `update`, `terminate`, `delete`, so `hub scenario run` can drive it as
`<name>.hire`), and has the base sandbox's fault switches (429, 5xx, slow, truncated, expired
tokens). It also refuses what a server refuses: a wrong credential, a missing declared header, an
unparseable `since`, a page token it never issued.

What it cannot do is know the vendor: it follows the definition, so it proves the source works
with the engine, not that the definition matches the real API. Check the definition against the
vendor's reference, then `hub check` against the real system.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from core.declarative.definition import Definition
from core.declarative.load import LoadedDefinition
from core.declarative.sandbox.api import Changes, Detail, Listing
from core.declarative.sandbox.auth import Gate, credential_settings
from core.declarative.sandbox.dataset import (
    DEVICE_ATTRIBUTES,
    PERSON_ATTRIBUTES,
    Table,
    department,
    subjects,
    template_names,
)
from core.declarative.templates import render
from core.errors import ConfigError
from core.sandbox.base import Sandbox
from core.sandbox.server import Handler, Request, Response, Router, json_response

ADMIN_OPS = ("hire", "update", "terminate", "delete")


class FixtureSandbox(Sandbox):
    """Specialised per definition by `for_connector` (a sandbox class per connector type)."""

    name = "fixture"
    #: hire and update take any field of the source's people (the fixture keeps what it is given)
    admin_arguments: ClassVar[dict[str, frozenset[str] | None]] = {
        "hire": None,
        "update": None,
        "terminate": frozenset({"employee_id", "key", "stream", "termination_date", "date"}),
        "delete": frozenset({"employee_id", "key", "stream"}),
    }
    loaded: ClassVar[LoadedDefinition]
    contract_scale: ClassVar[int] = 30
    throttle_path: ClassVar[str] = ".*"

    @classmethod
    def for_connector(cls, connector_cls: type) -> type[Sandbox]:
        loaded: LoadedDefinition = connector_cls.loaded  # type: ignore[attr-defined]
        definition = loaded.definition
        if definition.sandbox is None:
            raise ConfigError(f"{loaded.path}: the definition has no sandbox: section")
        _check_templates(loaded)
        first = next(iter(definition.streams.values())).request.path
        attributes = {
            "name": connector_cls.type_name,  # type: ignore[attr-defined]
            "loaded": loaded,
            "contract_scale": definition.sandbox.contract_scale,
            "throttle_path": _tail_regex(first),
        }
        return type(f"{definition.name.capitalize()}FixtureSandbox", (cls,), attributes)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        definition = self.definition
        self.settings = self._settings(definition)
        self.gate = Gate(definition, self.settings)
        base = render(definition.base_url, {f"config.{k}": v for k, v in self.settings.items()})
        self.base_path = urlsplit(base).path.rstrip("/")
        assert definition.sandbox is not None
        self.tables: dict[str, Table] = {}
        for stream, spec in definition.streams.items():
            fixture = definition.sandbox.streams[stream]
            table = Table(stream, spec, fixture)
            table.seed(subjects(fixture.roster, self.seed, self.scale))
            self.tables[stream] = table

    @property
    def definition(self) -> Definition:
        return self.loaded.definition

    def _settings(self, definition: Definition) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in definition.config.items():
            if spec.secret:
                values[name] = f"fixture-{name}-{self.seed}-d2f9c1"
            elif spec.example is not None:
                values[name] = spec.example
            elif spec.default is not None:
                values[name] = spec.default
            else:
                values[name] = {"string": "sandbox", "integer": 1, "number": 1.0, "boolean": True}[spec.type]
        return values

    # -- routes ----------------------------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        token_path = self.gate.token_path(self.base_path)
        if token_path is not None:
            router.add("POST", re.escape(token_path), self.gate.issue_token)
        for stream, spec in self.definition.streams.items():
            table = self.tables[stream]
            listing = Listing(table, spec, lambda path: self.url + path)
            router.add(spec.request.method, self._pattern(spec.request.path), self._guarded(listing))
            if spec.changes is not None:
                router.add(
                    spec.changes.method, self._pattern(spec.changes.path), self._guarded(Changes(table, spec))
                )
            if spec.detail is not None:
                router.add("GET", self._pattern(spec.detail.path), self._guarded(Detail(table)))

    def _pattern(self, path: str) -> str:
        rendered = render(path.replace("{id}", "\0"), {f"config.{k}": v for k, v in self.settings.items()})
        escaped = re.escape(f"{self.base_path}/{rendered.lstrip('/')}".rstrip("/"))
        return escaped.replace("\0", "(?P<id>[^/]+)") + "/?"

    def _guarded(self, handler: Handler) -> Handler:
        def serve(request: Request) -> Response:
            refused = self.gate.refuse(request) or self._refuse_headers(request)
            if refused is not None:
                return refused
            with self.lock:
                return handler(request)

        return serve

    def _refuse_headers(self, request: Request) -> Response | None:
        for name, template in self.definition.headers.items():
            wanted = render(template, {f"config.{k}": v for k, v in self.settings.items()})
            if request.header(name.lower()) != wanted:
                status = 406 if name.lower() == "accept" else 400
                return json_response({"error": {"message": f"{name}: {wanted} is required"}}, status)
        return None

    # -- admin: the standard vocabulary ----------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op not in ADMIN_OPS:
            raise ValueError(f"unknown {self.name} admin op {op!r}; known: {', '.join(ADMIN_OPS)}")
        args = dict(args)
        if "org" in args:
            args["department"] = args.pop("org")
        if op == "hire":
            return self._hire(args)
        subject, tables = self._find(args)
        if op == "delete":
            return [table.put(subject, deleted=True) for table in tables]
        if op == "terminate":
            from core import clock

            when = _date(args.get("termination_date") or args.get("date")) or clock.today()
            args = {
                "termination_date": when,
                "status": "terminated" if when <= clock.today() else subject["status"],
            }
        changes = {
            k: (_date(v) if k.endswith("_date") else v)
            for k, v in args.items()
            if k not in ("employee_id", "key", "stream")
        }
        if "department" in changes:
            changes.update(department(str(changes["department"])))
        subject.update(changes)
        return [table.put(subject) for table in tables]

    def _hire(self, args: dict[str, Any]) -> list[str]:
        from core import clock

        for required in ("employee_id", "given_name", "family_name"):
            if not args.get(required):
                raise ValueError(f"hire needs {required}")
        people = [t for t in self.tables.values() if t.fixture.roster == "people"]
        index = max((r.subject["index"] for t in people for r in t.rows.values()), default=-1) + 1
        hired = _date(args.get("hire_date")) or clock.today()
        subject: dict[str, Any] = {
            "index": index, "number": index + 1, "worker_id": f"W{index:08d}", "preferred_name": None,
            "manager_employee_id": None, "worker_type": "employee", "termination_date": None,
            "title": "Staff", **department(str(args.get("department") or "ADM")),
        }  # fmt: skip
        subject.update(
            {k: (_date(v) if k.endswith("_date") else v) for k, v in args.items() if k != "department"}
        )
        local = f"{subject['given_name']}.{subject['family_name']}".lower().replace(" ", "")
        subject.setdefault("email", f"{local}@agency.example.gov")
        subject["upn"] = subject["email"]
        subject["display_name"] = (
            f"{subject.get('preferred_name') or subject['given_name']} {subject['family_name']}"
        )
        subject["hire_date"] = hired
        subject.setdefault("status", "pre_hire" if hired > clock.today() else "active")
        return [table.put(subject) for table in people]

    def _find(self, args: dict[str, Any]) -> tuple[dict[str, Any], list[Table]]:
        wanted_stream = args.get("stream")
        tables = [t for n, t in self.tables.items() if wanted_stream in (None, n)]
        if "employee_id" in args:
            for table in tables:
                for row in table.rows.values():
                    if row.subject.get("employee_id") == args["employee_id"]:
                        people = [t for t in tables if t.fixture.roster == "people"]
                        return row.subject, people
            raise ValueError(f"no person with employee_id {args['employee_id']!r}")
        if "key" in args:
            for table in tables:
                found = table.rows.get(str(args["key"]))
                if found is not None:
                    return found.subject, [table]
            raise ValueError(f"no record with key {args['key']!r}")
        raise ValueError("name the record by employee_id (people) or key (and stream)")

    # -- the contract kit's hooks ----------------------------------------------------------------
    def kit_change(self, stream: str, count: int) -> list[str]:
        """Change `count` records of a stream (a new title or status), returning their keys."""
        table = self.tables[stream]
        changed = []
        for _key, row in table.live()[:count]:
            subject = dict(row.subject)
            subject["title" if table.fixture.roster == "people" else "status"] = "Changed by the contract kit"
            changed.append(table.put(subject))
        return changed

    def kit_delete(self, stream: str) -> str:
        table = self.tables[stream]
        key, row = table.live()[-1]
        table.put(row.subject, deleted=True)
        return key

    def kit_duplicate(self, stream: str) -> str | None:
        table = self.tables[stream]
        if table.spec.records.endswith(".*") or not table.live():
            return None  # a map keyed by id cannot hold a key twice
        table.duplicate_next = True
        return table.live()[0][0]

    def instance_config(self) -> dict[str, Any]:
        # the vendor's request budget is for the vendor; a local sandbox needs none
        local = {"requests_per_second": 1000.0} if self.definition.rate_limit.requests_per_second else {}
        return {
            **self.settings,
            "base_url": self.url + self.base_path + "/",
            "ca_bundle": self.ca_path,
            **local,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {name: f"wrong-{name}-value" for name in credential_settings(self.definition)}


def _tail_regex(path: str) -> str:
    """A regex matching request paths that end with `path` (placeholders match one segment)."""
    parts = re.split(r"(\{[^}]*\})", "/" + path.strip("/"))
    return "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?$"


def _date(value: Any) -> Any:
    from datetime import date

    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _check_templates(loaded: LoadedDefinition) -> None:
    """Every template names attributes the roster has (errors with the definition's line)."""
    assert loaded.definition.sandbox is not None
    problems = []
    for stream, fixture in loaded.definition.sandbox.streams.items():
        known = PERSON_ATTRIBUTES if fixture.roster == "people" else DEVICE_ATTRIBUTES
        for field, template in fixture.record.items():
            for name in sorted(template_names(template) - set(known)):
                where = loaded.where("sandbox", "streams", stream, "record", field)
                problems.append(
                    f"{where}: unknown {fixture.roster} attribute {name!r}; known: {', '.join(known)}"
                )
    if problems:
        raise ConfigError("\n".join(problems))
