"""The sandbox tenant's starting data, built from the shared demo roster (`core/sandbox/org.py`).

Workday is the person system of record, so every roster person becomes a worker with the
transactions that explain their state: a hire (entered days before it took effect), sometimes an
earlier employment and a rehire, a termination, a leave of absence, or a future-dated hire
(a pre-hire). A few workers are deliberately malformed so the mapping's quarantine is exercised.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from connectors.workday.sandbox.tenant import (
    CONTRACT,
    END_CONTRACT,
    HIRE,
    LEAVE,
    TERMINATE,
    Organization,
    Transaction,
    Worker,
)
from core.sandbox.org import DEPARTMENTS, LOCATIONS, Person, roster

#: work sites: the roster's locations plus a remote office in another time zone
SITES: dict[str, tuple[str, str]] = {**LOCATIONS, "HNL": ("Honolulu Field Office", "Pacific/Honolulu")}
TERMINATION_REASONS = ("Resignation", "Retirement", "Involuntary_Termination", "Relocation")
ROOT_ORG = "SUP-AGENCY"
#: every MALFORMED_EVERY-th worker (offset below) carries a defect the mapping must quarantine
MALFORMED_EVERY = 997
MALFORMED = {13: "bad_hire_date", 29: "no_legal_name"}


def txn_wid(seed: int, *parts: object) -> str:
    """A deterministic 32-hex WID for a seeded transaction."""
    text = ":".join(str(p) for p in (seed, *parts))
    return hashlib.sha256(f"txn:{text}".encode()).hexdigest()[:32]


@lru_cache(maxsize=512)
def job_profile_id(title: str) -> str:
    return "JP_" + "".join(ch if ch.isalnum() else "_" for ch in title.upper())


def position_id(index: int) -> str:
    return f"P-{index + 1:06d}"


def organizations(people: tuple[Person, ...]) -> list[Organization]:
    """The agency's supervisory organizations (one per department under a root) and cost centers."""
    heads: dict[str, str] = {}
    for person in people:
        heads.setdefault(person.department.code, person.employee_id)
    orgs = [
        Organization(ROOT_ORG, "AGENCY", "City of Example", "Supervisory", None, "E10001" if people else None)
    ]
    for dept in DEPARTMENTS:
        orgs.append(
            Organization(
                f"SUP-{dept.code}", dept.code, dept.name, "Supervisory", ROOT_ORG, heads.get(dept.code)
            )
        )
    for dept in DEPARTMENTS:
        orgs.append(
            Organization(dept.cost_center, dept.cost_center, f"{dept.name} Cost Center", "Cost_Center")
        )
    return orgs


def _moment(rng: random.Random, day: date, ceiling: datetime) -> datetime:
    """A business-hours entry moment on `day`, never later than `ceiling`."""
    moment = datetime.combine(
        day, time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=UTC
    )
    return min(moment, ceiling - timedelta(minutes=rng.randint(5, 600)))


def worker_from_person(person: Person, seed: int, now: datetime, rng: random.Random) -> Worker:
    """The worker and transaction log that explain one roster person's current state."""
    today = now.date()
    contingent = person.worker_type == "contractor"
    worker = Worker(person.worker_id, person.employee_id, contingent)
    worker.malformed = MALFORMED.get(person.index % MALFORMED_EVERY)
    changes = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "preferred_name": person.preferred_name,
        "email": person.email,
        "user_id": None if person.status == "pre_hire" else person.upn,
        "title": person.title,
        "job_profile": job_profile_id(person.title),
        "position_id": position_id(person.index),
        "department": person.department.code,
        "manager": person.manager_employee_id,
        "worker_type": person.worker_type,
        "location": person.location,
    }
    kind = CONTRACT if contingent else HIRE
    hired = person.hire_date
    if person.status == "pre_hire":
        entered = _moment(rng, today - timedelta(days=rng.randint(1, 10)), now)
    else:
        entered = _moment(rng, hired - timedelta(days=rng.randint(3, 30)), now)
    if person.status == "active" and not contingent and rng.random() < 0.05:
        first = hired - timedelta(days=rng.randint(800, 2000))
        gone = first + timedelta(days=rng.randint(200, 600))
        worker.add(
            Transaction(
                txn_wid(seed, person.index, "h0"), kind, _moment(rng, first, now), first, dict(changes)
            )
        )
        worker.add(
            Transaction(
                txn_wid(seed, person.index, "t0"),
                TERMINATE,
                _moment(rng, gone, now),
                gone,
                reason="Resignation",
            )
        )
        worker.add(
            Transaction(
                txn_wid(seed, person.index, "h1"), kind, entered, hired, dict(changes), reason="Rehire"
            )
        )
    else:
        worker.add(Transaction(txn_wid(seed, person.index, "h"), kind, entered, hired, changes))
    if person.status == "terminated" and person.termination_date is not None:
        ended = person.termination_date
        last_day = ended - timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        worker.add(
            Transaction(
                txn_wid(seed, person.index, "t"),
                END_CONTRACT if contingent else TERMINATE,
                _moment(rng, ended - timedelta(days=rng.randint(0, 14)), now),
                ended,
                {"last_day_of_work": last_day},
                reason="End_of_Contract" if contingent else rng.choice(TERMINATION_REASONS),
            )
        )
    elif person.status == "on_leave":
        start = today - timedelta(days=rng.randint(5, 60))
        back = today + timedelta(days=rng.randint(10, 90))
        worker.add(
            Transaction(
                txn_wid(seed, person.index, "l"), LEAVE, _moment(rng, start - timedelta(days=7), now), start,
                {"return_date": back}, reason=rng.choice(("Medical", "Family", "Parental")),
            )
        )  # fmt: skip
    return worker


def seed_workers(seed: int, scale: int, now: datetime) -> list[Worker]:
    """Every roster person as a worker, in employee-ID order."""
    rng = random.Random(f"workday:{seed}")
    return [worker_from_person(person, seed, now, rng) for person in roster(seed, scale)]
