"""Mapping throughput: a typical 20-field person mapping applied to 100,000 varied worker records
on one core (the issue's target is above 50,000 records/s), a heavier mapping, and load time."""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from core.bench import Bench
from core.errors import RecordError
from core.mapping import load_mappings

TOTAL = 100_000
PERSON_MAPPING = """\
version: 1
connector: hr
lookups:
  location_time_zones: {HQ: America/Chicago, DEPOT: America/Chicago, EAST: America/New_York, WEST: America/Los_Angeles}
streams:
  workers:
    entity: person
    when: "ne(Worker_Type, 'Board_Member')"
    required: [employee_id, given_name, family_name]
    fields:
      employee_id: Employee_ID
      worker_id: WID
      given_name: trim(Legal_First_Name)
      family_name: trim(Legal_Last_Name)
      preferred_name: trim(coalesce(Preferred_First_Name, Legal_First_Name))
      display_name: "concat(trim(coalesce(Preferred_First_Name, Legal_First_Name)), ' ', trim(Legal_Last_Name))"
      work_email: lower(Work_Email)
      upn: lower(Work_Email)
      title: Business_Title
      job_profile: Job_Profile.Name
      position_id: Position_ID
      org_unit: Supervisory_Organization.Code
      cost_center: Cost_Center_Code
      location: Location_ID
      time_zone: lookup('location_time_zones', Location_ID)
      manager_employee_id: Manager.Employee_ID
      worker_type: "switch(Worker_Type, {'Regular': 'employee', 'Contingent': 'contractor', 'Intern': 'intern'}, 'employee')"
      status: "switch(Status, {'Active': 'active', 'On Leave': 'on_leave', 'Terminated': 'terminated'})"
      hire_date: date(Hire_Date)
      termination_date: "date(Termination_Date, '%m/%d/%Y')"
"""

FIRST = ["José", "Ann", "Łukasz", "Zoë", "Mary-Jane", "Oluwaseun", "Nguyễn", "Siobhán", "Kai", "Ana María"]
LAST = ["Núñez", "Lee", "O'Brien", "Müller", "Smith", "García", "Kowalski", "Tanaka", "Okafor", "Johansson"]


def worker(i: int, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    terminated = rng.random() < 0.1
    return {
        "Employee_ID": f"E{10001 + i}",
        "WID": f"{rng.getrandbits(128):032x}",
        "Legal_First_Name": f" {first}" if rng.random() < 0.05 else first,
        "Legal_Last_Name": last,
        "Preferred_First_Name": rng.choice(["", "", "", first[:3]]),
        "Work_Email": f"{first}.{last}{i}@Agency.example.gov",
        "Business_Title": rng.choice(["Accountant", "Clerk", "Engineer", "Analyst"]),
        "Job_Profile": {"ID": f"JP-{i % 40}", "Name": f"Profile {i % 40}"},
        "Position_ID": f"P{i:06d}",
        "Supervisory_Organization": {"Code": f"ORG-{i % 60}", "Name": f"Org {i % 60}"},
        "Cost_Center_Code": f"CC{4000 + i % 25}",
        "Location_ID": rng.choice(["HQ", "DEPOT", "EAST", "WEST"]),
        "Manager": {"Employee_ID": f"E{10001 + i // 10}"},
        "Worker_Type": rng.choice(["Regular"] * 8 + ["Contingent", "Intern"]),
        "Status": "Terminated" if terminated else rng.choice(["Active"] * 9 + ["On Leave"]),
        "Hire_Date": f"{rng.randint(1995, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "Termination_Date": f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2025" if terminated else None,
    }


def _calibration_ns() -> float:
    """How fast this machine runs plain Python right now (about 25-40 ns on an idle modern core),
    to read the records/s above against."""
    record, rounds = {"Employee_ID": "E10001"}, 200_000
    get = record.get
    started = time.process_time()
    for _ in range(rounds):
        get("Employee_ID")
    return round((time.process_time() - started) / rounds * 1e9, 1)


def _apply_all(mapping: Any, batch: list[dict[str, Any]]) -> int:
    mapped = 0
    for record in batch:
        if mapping.apply(record) is not None:
            mapped += 1
    return mapped


def run(bench: Bench) -> None:
    rng = random.Random(20240115)
    batch = [worker(i, rng) for i in range(TOTAL)]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "hr.yaml").write_text(PERSON_MAPPING, encoding="utf-8")
        started = time.perf_counter()
        workers = load_mappings(Path(tmp), []).for_stream("hr", "workers")
        load_ms = (time.perf_counter() - started) * 1000
    assert workers is not None and len(workers.fields) == 20
    with bench.case(f"mapping: 20-field person mapping, {TOTAL:,} records, one core") as case:
        cpu = time.process_time()
        case.records = TOTAL
        case.extra["mapped"] = _apply_all(workers, batch)
        case.extra["cpu records/s"] = round(TOTAL / (time.process_time() - cpu))
        case.extra["load + compile ms"] = round(load_ms, 1)
        case.extra["load average"] = round(os.getloadavg()[0], 1)  # other work on the machine slows this down
        case.extra["calibration ns/dict.get"] = _calibration_ns()
    heavy = load_mappings(Path(__file__).resolve().parent.parent / "mapping" / "fixtures" / "shipped", [])
    workday = heavy.for_stream("workday", "workers")
    assert workday is not None
    records = [
        {**r, "Worker_ID": r["Employee_ID"], "Emails": [{"Usage": "WORK", "Address": r["Work_Email"]}]}
        for r in batch
    ]
    with bench.case(
        f"mapping: heavier 21-field mapping (ascii, regex, filter_eq), {TOTAL:,} records"
    ) as case:
        cpu, mapped = time.process_time(), 0
        for record in records:
            try:
                mapped += workday.apply(record) is not None
            except RecordError:
                continue
        case.records, case.extra["mapped"] = TOTAL, mapped
        case.extra["cpu records/s"] = round(TOTAL / (time.process_time() - cpu))
