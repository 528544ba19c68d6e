"""Named mutations of the MUNIS sandbox data, as HR and finance staff make them in MUNIS:
hire, rehire, terminate, transfer, leave, employee corrections, and fixed-asset custody
(assign, return, dispose, add, purge).

Each operation changes `MunisData` and reports which rows changed, so the sandbox can rewrite
exactly those rows in SQL and in the next export. Unknown operations or arguments raise
ValueError with what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.munis.layouts import EMPLOYEES, FIXED_ASSETS
from connectors.munis.sandbox.data import DEPARTMENT_NUMBERS, MunisData, department_number, employee_number
from core import clock
from core.sandbox.org import DEPARTMENTS, EMAIL_DOMAIN, TITLES, ascii_fold

#: friendly argument names accepted by update_employee, beside the layout column names
EMPLOYEE_ALIASES = {
    "first_name": "a_name_first",
    "middle_name": "a_name_middle",
    "last_name": "a_name_last",
    "email": "e_email",
    "title": "a_job_class_desc",
    "status": "e_activity_status",
    "hire_date": "e_hire_date",
    "termination_date": "e_term_date",
    "location": "a_location",
    "supervisor": "e_supervisor",
}
#: argument names the Workday sandbox uses for the same operations (scenarios may send either)
ARGUMENT_ALIASES = {
    "given_name": "first_name",
    "family_name": "last_name",
    "org": "department",
    "manager_employee_id": "supervisor",
}
Changes = dict[str, set[str]]
_WHO = frozenset({"employee_id", "employee_number"})
_ASSET = frozenset({"asset", "asset_number", "serial_number", "asset_tag"})
_JOB = frozenset(
    {"department", "org", "location", "supervisor", "manager_employee_id", "job_class_code", "title"}
)
#: op -> the arguments it takes (None: any employee field, which the op checks itself); scenario
#: files are checked against this before anything runs
ADMIN_ARGUMENTS: dict[str, frozenset[str] | None] = {
    "hire": _WHO
    | _JOB
    | {"first_name", "last_name", "given_name", "family_name", "email", "employment_status", "hire_date"},
    "rehire": _WHO | {"hire_date"},
    "terminate": _WHO | {"termination_date"},
    "transfer": _WHO | _JOB,
    "leave": None,
    "return_from_leave": None,
    "update_employee": None,
    "assign_asset": _WHO | _ASSET,
    "return_asset": _ASSET,
    "dispose_asset": _ASSET | {"disposal_date"},
    "add_asset": _WHO
    | {"serial_number", "asset_tag", "description", "class_code", "department", "org", "acquired_on", "cost"}
    | {"manufacturer", "model"},
    "purge_asset": _ASSET,
    "export": frozenset({"streams", "completion"}),
    "deliver_partial": frozenset({"stream"}),
    "complete_partial": frozenset({"name"}),
    "redeliver": frozenset({"name", "as_name"}),
}


def _today(args: dict[str, Any], name: str) -> str:
    return str(args.get(name) or clock.today().isoformat())


class MunisOperations:
    """Applies admin operations to the sandbox data."""

    def __init__(self, data: MunisData) -> None:
        self.data = data
        self.ops: dict[str, Callable[[dict[str, Any]], Any]] = {
            "hire": self.hire,
            "rehire": self.rehire,
            "terminate": self.terminate,
            "transfer": self.transfer,
            "leave": self.leave,
            "return_from_leave": self.return_from_leave,
            "update_employee": self.update_employee,
            "assign_asset": self.assign_asset,
            "return_asset": self.return_asset,
            "dispose_asset": self.dispose_asset,
            "add_asset": self.add_asset,
            "purge_asset": self.purge_asset,
        }
        self.changes: Changes = {}

    def apply(self, op: str, args: dict[str, Any]) -> tuple[Any, Changes]:
        handler = self.ops.get(op)
        if handler is None:
            raise ValueError(f"unknown munis admin op {op!r}; known: {', '.join(self.ops)}")
        self.changes = {}
        normalized = {
            ARGUMENT_ALIASES.get(k, k): v for k, v in args.items() if k not in ARGUMENT_ALIASES or v
        }
        return handler(normalized), self.changes

    def _changed(self, stream: str, key: str) -> None:
        self.changes.setdefault(stream, set()).add(key)

    # -- lookups -------------------------------------------------------------------------------
    def employee(self, args: dict[str, Any]) -> dict[str, Any]:
        ref = args.get("employee_id") or args.get("employee_number")
        if not ref:
            raise ValueError("give employee_id (E10001) or employee_number (10001)")
        row = self.data.employees.get(employee_number(str(ref)))
        if row is None:
            raise ValueError(f"no MUNIS employee {ref!r}")
        return row

    def asset(self, args: dict[str, Any]) -> dict[str, Any]:
        ref = str(
            args.get("asset")
            or args.get("asset_number")
            or args.get("serial_number")
            or args.get("asset_tag")
            or ""
        )
        if not ref:
            raise ValueError("give asset (asset number, asset tag or serial number)")
        if ref in self.data.assets:
            return self.data.assets[ref]
        wanted = ref.upper()
        for row in self.data.assets.values():
            if wanted in ((row["fa_tag_number"] or "").upper(), (row["fa_serial_number"] or "").upper()):
                return row
        raise ValueError(f"no fixed asset with number, tag or serial {ref!r}")

    def _head(self, number: str) -> str | None:
        dept = self.data.departments.get(number)
        return dept["a_department_head"] if dept else None

    def _job(self, dept_number: str, args: dict[str, Any]) -> tuple[str, str]:
        code = args.get("job_class_code")
        if code:
            job = self.data.job_classes.get(str(code))
            if job is None:
                raise ValueError(f"no job class {code!r}")
            return job["a_job_class_code"], job["a_job_class_desc"]
        roster_code = next(k for k, v in DEPARTMENT_NUMBERS.items() if v == dept_number)
        title = args.get("title") or TITLES[roster_code][1]
        for job in self.data.job_classes.values():
            if job["a_job_class_desc"] == title and job["a_job_class_code"][:2] == dept_number[:2]:
                return job["a_job_class_code"], title
        raise ValueError(f"no job class titled {title!r} in department {dept_number}")

    # -- employees -----------------------------------------------------------------------------
    def hire(self, args: dict[str, Any]) -> dict[str, Any]:
        for required in ("first_name", "last_name"):
            if not args.get(required):
                raise ValueError(f"hire needs {required} (or given_name/family_name)")
        args["department"] = args.get("department") or "ADM"
        ref = args.get("employee_id") or args.get("employee_number")
        number = (
            employee_number(str(ref)) if ref else str(max(int(n) for n in self.data.employees if n < "9") + 1)
        )
        if number in self.data.employees:
            raise ValueError(f"employee {number} already exists in MUNIS; use rehire or transfer")
        dept = department_number(str(args["department"]))
        code, title = self._job(dept, args)
        roster_dept = next(d for d in DEPARTMENTS if DEPARTMENT_NUMBERS[d.code] == dept)
        local = ".".join(
            "".join(ch for ch in ascii_fold(str(args[p])).lower() if ch.isalnum())
            for p in ("first_name", "last_name")
        )
        self.data.employees[number] = {
            **dict.fromkeys(EMPLOYEES.columns),
            "a_employee_number": number,
            "a_name_first": args["first_name"],
            "a_name_last": args["last_name"],
            "e_email": args.get("email") or f"{local}@{EMAIL_DOMAIN}",
            "a_org_primary": f"01{dept}10",
            "a_job_class_code": code,
            "a_job_class_desc": title,
            "e_employment_status": args.get("employment_status") or "FT",
            "e_hire_date": _today(args, "hire_date"),
            "e_activity_status": "A",
            "a_position_number": f"P{number}",
            "a_location": args.get("location") or roster_dept.location,
            "e_supervisor": employee_number(str(args["supervisor"]))
            if args.get("supervisor")
            else self._head(dept),
        }
        self._changed("employees", number)
        return {"employee_number": number}

    def rehire(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.employee(args)
        if row["e_activity_status"] != "T":
            raise ValueError(f"employee {row['a_employee_number']} is not terminated")
        row.update(e_activity_status="A", e_term_date=None, e_hire_date=_today(args, "hire_date"))
        self._changed("employees", row["a_employee_number"])
        return {"employee_number": row["a_employee_number"]}

    def terminate(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.employee(args)
        row.update(e_activity_status="T", e_term_date=_today(args, "termination_date"))
        self._changed("employees", row["a_employee_number"])
        return {"employee_number": row["a_employee_number"], "termination_date": row["e_term_date"]}

    def transfer(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.employee(args)
        if not args.get("department"):
            raise ValueError("transfer needs department")
        dept = department_number(str(args["department"]))
        code, title = self._job(dept, args)
        roster_dept = next(d for d in DEPARTMENTS if DEPARTMENT_NUMBERS[d.code] == dept)
        row.update(
            a_org_primary=f"01{dept}10",
            a_job_class_code=code,
            a_job_class_desc=title,
            a_location=args.get("location") or roster_dept.location,
            e_supervisor=employee_number(str(args["supervisor"]))
            if args.get("supervisor")
            else self._head(dept),
        )
        self._changed("employees", row["a_employee_number"])
        return {"employee_number": row["a_employee_number"], "org": row["a_org_primary"]}

    def leave(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.update_employee({**args, "e_activity_status": "I"})

    def return_from_leave(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.update_employee({**args, "e_activity_status": "A"})

    def update_employee(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.employee(args)
        fields = {k: v for k, v in args.items() if k not in ("employee_id", "employee_number")}
        allowed = set(EMPLOYEES.columns) - {EMPLOYEES.key}
        updates = {}
        for name, value in fields.items():
            column = EMPLOYEE_ALIASES.get(name, name)
            if column not in allowed:
                raise ValueError(
                    f"update_employee: unknown field {name!r}; use {sorted(EMPLOYEE_ALIASES)} or layout columns"
                )
            text = None if value in ("", None) else str(value)
            updates[column] = employee_number(text) if column == "e_supervisor" and text else text
        row.update(updates)
        self._changed("employees", row["a_employee_number"])
        return {"employee_number": row["a_employee_number"], "updated": sorted(updates)}

    # -- fixed assets --------------------------------------------------------------------------
    def assign_asset(self, args: dict[str, Any]) -> dict[str, Any]:
        row, person = self.asset(args), self.employee(args)
        row.update(
            fa_custodian_employee=person["a_employee_number"],
            fa_status="A",
            a_department_code=(person["a_org_primary"] or "  1000")[2:6],
            a_location=person["a_location"],
        )
        self._changed("fixed_assets", row["a_asset_number"])
        return {"asset_number": row["a_asset_number"], "custodian": person["a_employee_number"]}

    def return_asset(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.asset(args)
        row.update(fa_custodian_employee=None, fa_status="S")
        self._changed("fixed_assets", row["a_asset_number"])
        return {"asset_number": row["a_asset_number"]}

    def dispose_asset(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.asset(args)
        row.update(fa_custodian_employee=None, fa_status="D", fa_disposal_date=_today(args, "disposal_date"))
        self._changed("fixed_assets", row["a_asset_number"])
        return {"asset_number": row["a_asset_number"], "disposal_date": row["fa_disposal_date"]}

    def add_asset(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("serial_number") or args.get("asset_tag")):
            raise ValueError("add_asset needs serial_number or asset_tag")
        number = self.data.new_asset_number()
        self.data.assets[number] = {
            **dict.fromkeys(FIXED_ASSETS.columns),
            "a_asset_number": number,
            "fa_tag_number": args.get("asset_tag") or f"AT-{800000 + int(number):07d}",
            "fa_serial_number": args.get("serial_number"),
            "a_asset_desc": args.get("description") or "Laptop",
            "fa_class_code": args.get("class_code") or "COMP",
            "fa_status": "A",
            "a_department_code": department_number(str(args.get("department") or "IT")),
            "fa_acquire_date": _today(args, "acquired_on"),
            "fa_cost": f"{float(args.get('cost') or 0):.2f}",
            "fa_manufacturer": args.get("manufacturer"),
            "fa_model": args.get("model"),
        }
        self._changed("fixed_assets", number)
        if args.get("employee_id") or args.get("employee_number"):
            self.assign_asset({**args, "asset": number})
        return {"asset_number": number}

    def purge_asset(self, args: dict[str, Any]) -> dict[str, Any]:
        row = self.asset(args)
        del self.data.assets[row["a_asset_number"]]
        self._changed("fixed_assets", row["a_asset_number"])
        return {"asset_number": row["a_asset_number"], "purged": True}
