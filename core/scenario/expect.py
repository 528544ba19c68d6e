"""Checking a scenario's `expect` step against the store; each failure is one readable line."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from core.resolve.findings import findings
from core.scenario.actions import check_actions
from core.status import open_holds
from core.store.engine import Store
from core.store.schema import persons
from core.tickets.query import list_tickets


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def ticket_matches(ticket: dict[str, Any], want: dict[str, Any]) -> bool:
    for key in ("type", "state", "priority"):
        if key in want and ticket[key] != str(want[key]):
            return False
    if "due" in want and ticket["due"] != _text(want["due"]):
        return False
    titles = [t["title"] for t in ticket["tasks"]]
    if any(not any(str(s) in t for t in titles) for s in want.get("tasks_include") or []):
        return False
    for state in ("closed", "open"):  # every task naming the text is in that state
        for text in want.get(f"tasks_{state}") or []:
            named = [t for t in ticket["tasks"] if str(text) in t["title"]]
            if not named or any(t["state"] != state for t in named):
                return False
    return not any(any(str(s) in t for t in titles) for s in want.get("tasks_exclude") or [])


def describe(ticket: dict[str, Any]) -> str:
    return f"{ticket['type']} {ticket['state']} {ticket['priority']} due {ticket['due']} ({len(ticket['tasks'])} tasks)"


def check_tickets(store: Store, expected: list[dict[str, Any]]) -> list[str]:
    """For each employee named, their tickets must be exactly the expected ones (any order);
    `tickets: []` says there is no ticket at all."""
    if not expected:
        every = list_tickets(store)
        return [f"expected no tickets, found {'; '.join(describe(t) for t in every)}"] if every else []
    failures = []
    by_employee: dict[str, list[dict[str, Any]]] = {}
    for want in expected:
        by_employee.setdefault(str(want["employee_id"]), []).append(want)
    for employee_id, wants in by_employee.items():
        actual = list_tickets(store, employee_id=employee_id)
        unmatched = list(actual)
        for want in wants:
            found = next((t for t in unmatched if ticket_matches(t, want)), None)
            if found is None:
                spec = {k: v for k, v in want.items() if k != "employee_id"}
                seen = "; ".join(describe(t) for t in actual) or "none"
                failures.append(f"{employee_id}: no ticket matching {spec} (tickets: {seen})")
            else:
                unmatched.remove(found)
        if len(actual) != len(wants):
            failures.append(f"{employee_id}: expected {len(wants)} ticket(s), found {len(actual)}")
    return failures


def check_no_tickets(store: Store, employee_ids: list[str]) -> list[str]:
    return [
        f"{e}: expected no tickets, found {', '.join(describe(t) for t in found)}"
        for e in employee_ids
        if (found := list_tickets(store, employee_id=str(e)))
    ]


def check_persons(store: Store, expected: list[dict[str, Any]]) -> list[str]:
    failures = []
    with store.engine.connect() as conn:
        for want in expected:
            employee_id = str(want["employee_id"])
            rows = conn.execute(
                sa.select(persons).where(persons.c.employee_id == employee_id, persons.c.deleted_at.is_(None))
            ).all()
            if len(rows) != 1:
                failures.append(f"{employee_id}: expected one canonical person, found {len(rows)}")
                continue
            attrs = rows[0].attrs or {}
            for key, value in want.items():
                if key != "employee_id" and _text(attrs.get(key)) != _text(value):
                    failures.append(f"{employee_id}: person.{key} is {attrs.get(key)!r}, expected {value!r}")
    return failures


def check_findings(store: Store, expected: list[dict[str, Any]]) -> list[str]:
    found = findings(store)
    failures = []
    for want in expected:
        if not any(all(str(f.get(k)) == str(v) for k, v in want.items()) for f in found):
            kinds = sorted({f"{f['kind']}:{f['employee_id']}" for f in found})
            failures.append(f"no finding matching {want} (findings: {', '.join(kinds) or 'none'})")
    return failures


def check_held(store: Store, held: bool) -> list[str]:
    holds = open_holds(store)
    if held and not holds:
        return ["expected a held run (mass-change or ticket-storm guard), none is held"]
    if not held and holds:
        return [f"expected no held run, found {len(holds)}: {', '.join(h['kind'] for h in holds)}"]
    return []


def check(store: Store, spec: dict[str, Any]) -> list[str]:
    failures: list[str] = []
    if "tickets" in spec:
        failures += check_tickets(store, spec["tickets"] or [])
    if "no_tickets_for" in spec:
        failures += check_no_tickets(store, spec["no_tickets_for"] or [])
    if "persons" in spec:
        failures += check_persons(store, spec["persons"] or [])
    if "findings" in spec:
        failures += check_findings(store, spec["findings"] or [])
    if "run_held" in spec:
        failures += check_held(store, bool(spec["run_held"]))
    if "actions" in spec:
        failures += check_actions(store, spec["actions"] or [])
    return failures
