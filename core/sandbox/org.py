"""The demo organisation every sandbox tenant is built from: one seeded roster of people,
departments, locations and devices.

Workday, MUNIS, Entra ID, Intune and the cloud tags all describe the *same* agency, so identity
resolution has real work to do (the same person by employee ID in HR, by UPN in Entra, by an
owner tag in AWS; the same laptop by serial number in MUNIS and Intune). Deterministic from
(seed, scale); dates are relative to the hub clock so a scenario's fake "now" moves them.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from core import clock

GIVEN = [
    "Ana", "Björn", "Chloé", "Devon", "Eun-ji", "Farid", "Grace", "Hemi", "Iñaki", "Jamal",
    "Keiko", "Liam", "María José", "Nadia", "Óscar", "Priya", "Quentin", "Rosa", "Søren", "Tamika",
    "Uma", "Víctor", "Wen", "Ximena", "Yusuf", "Zoë", "Aaliyah", "Bernard", "Carmen", "Dmitri",
]  # fmt: skip
FAMILY = [
    "Ruiz", "Åberg", "Okafor", "Nguyen", "Kealoha", "Moreau", "Shah", "Ito", "O'Brien", "García",
    "Kowalski", "Müller", "Johnson", "Smith-Jones", "Dubois", "Haddad", "Park", "Ferreira",
    "Van der Berg", "Lindqvist", "Adeyemi", "Castillo", "Novak", "Tanaka", "Williams", "Brown",
]  # fmt: skip


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    cost_center: str
    location: str


DEPARTMENTS = [
    Department("ADM", "Administration", "CC1000", "HQ"),
    Department("FIN", "Finance", "CC1100", "HQ"),
    Department("HR", "Human Resources", "CC1200", "HQ"),
    Department("IT", "Information Technology", "CC1300", "HQ"),
    Department("PW", "Public Works", "CC2000", "PWYARD"),
    Department("PD", "Police Department", "CC3000", "PD1"),
    Department("PARKS", "Parks and Recreation", "CC4000", "REC"),
    Department("LIB", "Library", "CC5000", "LIB"),
]
LOCATIONS = {
    "HQ": ("City Hall", "America/Chicago"),
    "PWYARD": ("Public Works Yard", "America/Chicago"),
    "PD1": ("Police Headquarters", "America/Chicago"),
    "REC": ("Recreation Center", "America/Chicago"),
    "LIB": ("Main Library", "America/Chicago"),
}
TITLES = {
    "ADM": ["City Manager", "Executive Assistant", "Policy Analyst"],
    "FIN": ["Finance Director", "Accountant", "Payroll Specialist", "Budget Analyst"],
    "HR": ["HR Director", "HR Generalist", "Benefits Coordinator"],
    "IT": ["IT Director", "Systems Administrator", "Service Desk Analyst", "GIS Analyst"],
    "PW": ["Public Works Director", "Equipment Operator", "Maintenance Worker", "Civil Engineer"],
    "PD": ["Police Chief", "Police Officer", "Dispatcher", "Records Clerk"],
    "PARKS": ["Parks Director", "Recreation Coordinator", "Groundskeeper"],
    "LIB": ["Library Director", "Librarian", "Library Assistant"],
}
EMAIL_DOMAIN = "agency.example.gov"


@dataclass(frozen=True)
class Device:
    serial_number: str
    asset_tag: str
    kind: str  # laptop, desktop, phone, tablet
    model: str
    manufacturer: str
    cost: float
    acquired_on: date


@dataclass(frozen=True)
class Person:
    index: int
    employee_id: str
    worker_id: str  # the HR system's immutable ID (a Workday WID)
    given_name: str
    family_name: str
    preferred_name: str | None
    email: str
    department: Department
    title: str
    manager_employee_id: str | None
    worker_type: str  # employee, contractor, intern, temporary
    status: str  # active, on_leave, terminated, pre_hire
    hire_date: date
    termination_date: date | None
    devices: tuple[Device, ...] = field(default=())

    @property
    def upn(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.given_name} {self.family_name}"

    @property
    def location(self) -> str:
        return self.department.location

    @property
    def time_zone(self) -> str:
        return LOCATIONS[self.location][1]


def ascii_fold(text: str) -> str:
    """'Søren Åberg' -> 'Soren Aberg' (what an email local part can hold)."""
    text = text.replace("ø", "o").replace("Ø", "O").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def _local_part(given: str, family: str) -> str:
    return ".".join(
        "".join(ch for ch in ascii_fold(part).lower() if ch.isalnum()) for part in (given, family)
    )


def email_for(given: str, family: str, taken: set[str], last: dict[str, int] | None = None) -> str:
    """first.last@domain, numbered from 2 when taken; `last` remembers each name's last number,
    so a large roster does not re-walk every earlier namesake."""
    local = _local_part(given, family)
    n = last.get(local, 1) if last is not None else 1
    candidate = local if n == 1 else f"{local}{n}"
    while candidate in taken:
        n += 1
        candidate = f"{local}{n}"
    taken.add(candidate)
    if last is not None:
        last[local] = n
    return f"{candidate}@{EMAIL_DOMAIN}"


def worker_wid(seed: int, index: int) -> str:
    return hashlib.sha256(f"wid:{seed}:{index}".encode()).hexdigest()[:32]


@lru_cache(maxsize=8)
def _roster(seed: int, scale: int, today: date) -> tuple[Person, ...]:
    rng = random.Random(seed)
    taken: set[str] = set()
    last_numbers: dict[str, int] = {}
    heads: dict[str, str] = {}
    people: list[Person] = []
    for i in range(scale):
        employee_id = f"E{10001 + i}"
        department = DEPARTMENTS[i % len(DEPARTMENTS)] if i < len(DEPARTMENTS) else rng.choice(DEPARTMENTS)
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        if department.code not in heads:
            heads[department.code] = employee_id
            title = TITLES[department.code][0]
            manager = None if i == 0 else "E10001"
        else:
            title = rng.choice(TITLES[department.code][1:])
            manager = heads[department.code]
        roll = rng.random()
        worker_type = "contractor" if roll < 0.08 else "intern" if roll < 0.11 else "employee"
        hire_date = today - timedelta(days=rng.randint(30, 6000))
        status, termination = "active", None
        if i >= len(DEPARTMENTS):
            fate = rng.random()
            if fate < 0.05:
                status, termination = "terminated", today - timedelta(days=rng.randint(10, 400))
            elif fate < 0.08:
                status, hire_date = "pre_hire", today + timedelta(days=rng.randint(3, 30))
            elif fate < 0.10:
                status = "on_leave"
        devices = [_device(rng, i, 0, "laptop", hire_date, today)]
        if rng.random() < 0.4:
            devices.append(_device(rng, i, 1, "phone", hire_date, today))
        people.append(
            Person(
                index=i,
                employee_id=employee_id,
                worker_id=worker_wid(seed, i),
                given_name=given,
                family_name=family,
                preferred_name=rng.choice(["", "", "", "", "Alex", "Sam", "Jo"]) or None,
                email=email_for(given, family, taken, last_numbers),
                department=department,
                title=title,
                manager_employee_id=manager,
                worker_type=worker_type,
                status=status,
                hire_date=hire_date,
                termination_date=termination,
                devices=tuple(devices) if status != "pre_hire" else (),
            )
        )
    return tuple(people)


MODELS = {
    "laptop": [("Latitude 5450", "Dell", 1389.0), ("ThinkPad T14", "Lenovo", 1249.0), ("EliteBook 840", "HP", 1310.0)],
    "phone": [("iPhone 15", "Apple", 799.0), ("Galaxy S24", "Samsung", 749.0)],
}  # fmt: skip


def _device(rng: random.Random, person: int, n: int, kind: str, hired: date, today: date) -> Device:
    model, maker, cost = rng.choice(MODELS[kind])
    serial = hashlib.sha256(f"sn:{person}:{n}".encode()).hexdigest()[:10].upper()
    return Device(
        serial_number=f"SN-{serial}",
        asset_tag=f"AT-{100000 + person * 4 + n:06d}",
        kind=kind,
        model=model,
        manufacturer=maker,
        cost=cost,
        acquired_on=max(hired, today - timedelta(days=rng.randint(60, 1400))),
    )


def roster(seed: int = 7, scale: int = 50) -> tuple[Person, ...]:
    """The organisation's people, in employee-ID order (the same for every sandbox)."""
    return _roster(seed, scale, clock.today())


def person_by_employee_id(people: tuple[Person, ...], employee_id: str) -> Person:
    for person in people:
        if person.employee_id == employee_id:
            return person
    raise ValueError(f"no person with employee ID {employee_id!r} in the demo roster")
