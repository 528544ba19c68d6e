"""The MUNIS sandbox's data, built from the shared demo roster (`core.sandbox.org`).

MUNIS is the agency's payroll and fixed-asset system, so it holds the *same* people as Workday
(employee number 10001 is Workday's E10001; contractors are not on payroll) and every device of
the roster in its fixed-asset register with the custodian's employee number, beside vehicles,
furniture and equipment. A few rows are malformed on purpose; the mapping must quarantine them.
Rows are dicts of layout columns (text or null), as the connector yields them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connectors.munis.layouts import EMPLOYEES, FIXED_ASSETS
from core import clock
from core.sandbox.org import DEPARTMENTS, TITLES, Department, Person, roster

#: MUNIS department code of each roster department (the agency's GL department segment)
DEPARTMENT_NUMBERS = {
    "ADM": "1000",
    "FIN": "1100",
    "HR": "1200",
    "IT": "1300",
    "PW": "2000",
    "PD": "3000",
    "PARKS": "4000",
    "LIB": "5000",
}
DEVICE_CLASSES = {"laptop": "COMP", "desktop": "COMP", "phone": "PHON", "tablet": "COMP"}
ACTIVITY = {"active": "A", "pre_hire": "A", "on_leave": "I", "terminated": "T"}
FILLER = [
    ("VEH", "Vehicle", [("Ford", "F-150", 38500.0), ("Chevrolet", "Tahoe PPV", 46200.0), ("Ford", "Transit", 41900.0)]),
    ("FURN", "Furniture", [("Steelcase", "Workstation", 2450.0), ("Herman Miller", "Conference table", 3100.0)]),
    ("EQUP", "Equipment", [("Toro", "Groundsmaster 4000", 61800.0), ("Hobart", "Generator 8kW", 8900.0)]),
    ("NETW", "Network", [("Cisco", "Catalyst 9300", 7400.0), ("Aruba", "AP-535", 1180.0)]),
]  # fmt: skip


def employee_number(employee_id: str) -> str:
    """MUNIS employee numbers are numeric: E10001 -> 10001 (accepts either form).

    Raises ValueError for anything else: MUNIS keeps the number in a numeric column, so a value
    like `EMP-7` is refused here with the accepted forms, not deep in the database."""
    text = str(employee_id).strip().upper()
    number = text[1:] if text.startswith("E") else text
    if not number.isdigit():
        raise ValueError(
            f"employee_id {employee_id!r} is not a MUNIS employee number: give digits (10001) or E + digits (E10001)"
        )
    return number


def department_number(code: str) -> str:
    """A roster department code (IT) or a MUNIS department number (1300) -> the number."""
    if code in DEPARTMENT_NUMBERS.values():
        return code
    try:
        return DEPARTMENT_NUMBERS[code.upper()]
    except KeyError:
        known = ", ".join(f"{k} ({v})" for k, v in DEPARTMENT_NUMBERS.items())
        raise ValueError(f"unknown department {code!r}; known: {known}") from None


def job_class_code(department: Department, title: str) -> str:
    return f"{DEPARTMENT_NUMBERS[department.code][:2]}{TITLES[department.code].index(title) + 1:02d}"


@dataclass
class MunisData:
    """Rows by key for each stream plus the extras only SQL shows (secondary jobs, projections)."""

    departments: dict[str, dict[str, Any]] = field(default_factory=dict)
    job_classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: employee number -> a secondary JobPay row (not the primary job)
    secondary_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: employee number -> job class code in the salary projection (prem_proj = 1)
    projections: dict[str, str] = field(default_factory=dict)
    next_asset: int = 1

    def new_asset_number(self) -> str:
        number = f"{self.next_asset:07d}"
        self.next_asset += 1
        return number


def build(seed: int, scale: int, assets: int | None = None) -> MunisData:
    """Deterministic data for (seed, scale); `assets` is the register size (default 2.5 per person)."""
    rng = random.Random(f"munis:{seed}")
    people = roster(seed, scale)
    data = MunisData()
    heads = _departments(data, people)
    _job_classes(data)
    for person in people:
        if person.worker_type != "contractor":
            _employee(data, rng, person)
    for person in people:
        for device in person.devices:
            _device_asset(data, rng, person, device)
    target = max(assets if assets is not None else int(scale * 2.5), len(data.assets))
    while len(data.assets) < target:
        _filler_asset(data, rng, heads)
    _malformed(data)
    return data


def _departments(data: MunisData, people: tuple[Person, ...]) -> dict[str, str]:
    heads: dict[str, str] = {}
    for person in people:
        heads.setdefault(person.department.code, employee_number(person.employee_id))
    for dept in DEPARTMENTS:
        number = DEPARTMENT_NUMBERS[dept.code]
        data.departments[number] = {
            "a_department_code": number,
            "a_department_desc": dept.name,
            "a_parent_department": None if dept.code == "ADM" else DEPARTMENT_NUMBERS["ADM"],
            "a_department_head": heads.get(dept.code),
            "a_active_flag": "Y",
        }
    data.departments["9100"] = {
        "a_department_code": "9100",
        "a_department_desc": "Water Authority (dissolved)",
        "a_parent_department": "1000",
        "a_department_head": None,
        "a_active_flag": "N",
    }
    return heads


def _job_classes(data: MunisData) -> None:
    for dept in DEPARTMENTS:
        for index, title in enumerate(TITLES[dept.code]):
            code = job_class_code(dept, title)
            unit = "EXEMPT" if index == 0 else {"PD": "FOP", "PW": "AFSCME"}.get(dept.code, "GENERAL")
            data.job_classes[code] = {
                "a_job_class_code": code,
                "a_job_class_desc": title,
                "a_bargaining_unit": unit,
                "a_active_flag": "Y",
            }


def _employee(data: MunisData, rng: random.Random, person: Person) -> None:
    number = employee_number(person.employee_id)
    dept = person.department
    roll = rng.random()
    data.employees[number] = {
        "a_employee_number": number,
        "a_name_first": person.given_name,
        "a_name_middle": rng.choice("ABCDEJKLMRST") if roll < 0.3 else None,
        "a_name_last": person.family_name,
        "e_email": None if roll > 0.95 else person.email,
        "a_org_primary": f"01{DEPARTMENT_NUMBERS[dept.code]}{rng.choice(['10', '10', '20'])}",
        "a_job_class_code": job_class_code(dept, person.title),
        "a_job_class_desc": person.title,
        "e_employment_status": "TM" if person.worker_type == "intern" else ("PT" if roll < 0.1 else "FT"),
        "e_hire_date": person.hire_date.isoformat(),
        "e_term_date": person.termination_date.isoformat() if person.termination_date else None,
        "e_activity_status": ACTIVITY[person.status],
        "a_position_number": f"P{person.index + 1:05d}",
        "a_location": person.location,
        "e_supervisor": employee_number(person.manager_employee_id) if person.manager_employee_id else None,
    }
    if rng.random() < 0.05:
        data.secondary_jobs[number] = {"a_position_number": f"P9{person.index + 1:04d}", "a_location": "REC"}
    if rng.random() < 0.2:
        codes = [c for c in data.job_classes if c[:2] == DEPARTMENT_NUMBERS[dept.code][:2]]
        data.projections[number] = rng.choice(codes)


def _device_asset(data: MunisData, rng: random.Random, person: Person, device: Any) -> None:
    number = data.new_asset_number()
    returned = person.status == "terminated" and person.index % 2 == 0
    serial = device.serial_number.lower() if rng.random() < 0.03 else device.serial_number
    data.assets[number] = {
        "a_asset_number": number,
        "fa_tag_number": device.asset_tag,
        "fa_serial_number": serial,
        "a_asset_desc": f"{device.kind.title()} - {device.manufacturer} {device.model}",
        "fa_class_code": DEVICE_CLASSES.get(device.kind, "COMP"),
        "fa_status": "S" if returned else "A",
        "a_department_code": DEPARTMENT_NUMBERS[person.department.code],
        "a_location": person.location,
        "fa_custodian_employee": None if returned else employee_number(person.employee_id),
        "fa_acquire_date": device.acquired_on.isoformat(),
        "fa_cost": f"{device.cost:.2f}",
        "fa_disposal_date": None,
        "fa_manufacturer": device.manufacturer,
        "fa_model": device.model,
    }


def _filler_asset(data: MunisData, rng: random.Random, heads: dict[str, str]) -> None:
    number = data.new_asset_number()
    code, label, models = rng.choice(FILLER)
    maker, model, cost = rng.choice(models)
    dept = rng.choice(DEPARTMENTS)
    acquired = clock.today() - timedelta(days=rng.randint(90, 4000))
    disposed = rng.random() < 0.1
    custodian = heads.get(dept.code) if code == "VEH" and rng.random() < 0.3 else None
    serial = None if code == "FURN" else f"{maker[:2].upper()}{rng.getrandbits(40):012X}"
    data.assets[number] = {
        "a_asset_number": number,
        "fa_tag_number": f"AT-{900000 + int(number):07d}",
        "fa_serial_number": serial,
        "a_asset_desc": f"{label} - {maker} {model}",
        "fa_class_code": code,
        "fa_status": "D" if disposed else "A",
        "a_department_code": DEPARTMENT_NUMBERS[dept.code],
        "a_location": dept.location,
        "fa_custodian_employee": None if disposed else custodian,
        "fa_acquire_date": acquired.isoformat(),
        "fa_cost": f"{cost * rng.uniform(0.9, 1.1):.2f}",
        "fa_disposal_date": (acquired + timedelta(days=rng.randint(30, 1500))).isoformat()
        if disposed
        else None,
        "fa_manufacturer": maker,
        "fa_model": model,
    }


def _malformed(data: MunisData) -> None:
    """Rows a real register accumulates; each must be quarantined by the mapping with its reason."""
    base = dict.fromkeys(EMPLOYEES.columns)
    data.employees["99901"] = {
        **base,
        "a_employee_number": "99901",
        "a_name_first": "Conversion",
        "a_name_last": "Test Record",
        "a_org_primary": "01100010",
        "e_hire_date": "2019-02-30",
        "e_activity_status": "A",
        "e_employment_status": "FT",
    }
    data.employees["99902"] = {
        **base,
        "a_employee_number": "99902",
        "a_name_first": "Pat",
        "a_name_last": None,
        "a_org_primary": "01130010",
        "e_hire_date": date(2020, 7, 1).isoformat(),
        "e_activity_status": "A",
        "e_employment_status": "PT",
    }
    data.departments["9900"] = {
        "a_department_code": "9900",
        "a_department_desc": None,
        "a_parent_department": None,
        "a_department_head": None,
        "a_active_flag": "Y",
    }
    bad_cost = data.new_asset_number()
    data.assets[bad_cost] = {
        **dict.fromkeys(FIXED_ASSETS.columns),
        "a_asset_number": bad_cost,
        "fa_tag_number": "AT-0999001",
        "fa_serial_number": "SN-BADCOST01",
        "a_asset_desc": "Laptop - Dell Latitude 5450",
        "fa_class_code": "COMP",
        "fa_status": "A",
        "a_department_code": "1300",
        "fa_acquire_date": "2024-05-01",
        "fa_cost": "1,2O9.00",
    }
    untagged = data.new_asset_number()
    data.assets[untagged] = {
        **dict.fromkeys(FIXED_ASSETS.columns),
        "a_asset_number": untagged,
        "a_asset_desc": "Monitor - unlabelled",
        "fa_class_code": "COMP",
        "fa_status": "A",
        "a_department_code": "1100",
        "fa_acquire_date": "2023-01-15",
        "fa_cost": "189.00",
    }
