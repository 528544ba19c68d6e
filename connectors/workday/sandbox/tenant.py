"""The sandbox tenant's workers as Workday keeps them: an effective-dated log of business-process
transactions per worker. Every view of a worker is a fold of that log *as of* an effective date and
an entry moment, which is exactly what Get_Workers' `Response_Filter` asks for, so pre-hires,
future-dated terminations, rescinds and corrections behave the way integrations see them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

HIRE = "Hire Employee"
CONTRACT = "Contract Contingent Worker"
TERMINATE = "Terminate Employee"
END_CONTRACT = "End Contingent Worker Contract"
CHANGE_JOB = "Change Job"
LEAVE = "Request Leave of Absence"
RETURN = "Return from Leave of Absence"
CHANGE_PERSONAL = "Change Personal Information"
RESCIND = "Rescind"
CORRECT = "Correct"

HIRE_KINDS = frozenset({HIRE, CONTRACT})
END_KINDS = frozenset({TERMINATE, END_CONTRACT})
#: fields that are not effective-dated in the sandbox: a change shows as soon as it is entered
PERSONAL_FIELDS = frozenset(
    {"given_name", "family_name", "preferred_name", "email", "user_id", "previous_worker_id"}
)
JOB_FIELDS = frozenset(
    {"title", "job_profile", "position_id", "department", "manager", "worker_type", "location"}
)

_sequence = itertools.count(1)


def effective_moment(day: date) -> datetime:
    """The moment a transaction effective on `day` takes effect (tenant midnight; the tenant runs on UTC)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass
class Transaction:
    """One business-process event in a worker's transaction log."""

    wid: str
    kind: str
    entry: datetime
    effective: date
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    rescinded: bool = False
    corrected: bool = False
    target: str | None = None  # for Rescind / Correct: the WID of the event acted on
    seq: int = field(default_factory=lambda: next(_sequence))

    @property
    def order(self) -> tuple[date, datetime, int]:
        return (self.effective, self.entry, self.seq)

    @property
    def live(self) -> bool:
        """Counts towards the worker's data (not rescinded, not a rescind record itself)."""
        return not self.rescinded and self.kind != RESCIND


@dataclass
class WorkerView:
    """A worker as of one effective date and entry moment (what Get_Workers renders)."""

    worker: Worker
    personal: dict[str, Any]
    job: dict[str, Any] | None  # None while no hire is effective yet (a pre-hire)
    hire_date: date | None
    original_hire_date: date | None
    rehire: bool
    active: bool
    terminated: bool
    termination_date: date | None
    last_day_of_work: date | None
    termination_reason: str | None
    on_leave: bool
    leave_start: date | None
    leave_return: date | None
    log: list[Transaction]


@dataclass
class Worker:
    """A Workday worker: immutable WID, worker ID (employee or contingent worker ID) and its log."""

    wid: str
    worker_id: str
    contingent: bool
    transactions: list[Transaction] = field(default_factory=list)
    #: deliberately broken rendering for quarantine tests: "bad_hire_date" or "no_legal_name"
    malformed: str | None = None

    def add(self, txn: Transaction) -> Transaction:
        self.transactions.append(txn)
        return txn

    def latest(self, kinds: frozenset[str], *, live_only: bool = True) -> Transaction | None:
        found = [t for t in self.transactions if t.kind in kinds and (t.live or not live_only)]
        return max(found, key=lambda t: t.order) if found else None

    def touched(
        self,
        updated: tuple[datetime, datetime] | None,
        effective: tuple[datetime, datetime] | None,
        as_of_entry: datetime,
    ) -> bool:
        """Whether a transaction was entered / took effect inside the windows (both must hold if both
        are given). Windows are (from, through]: consecutive windows never see an event twice."""
        for t in self.transactions:
            if t.entry > as_of_entry:
                continue
            if updated is not None and not updated[0] < t.entry <= updated[1]:
                continue
            if effective is not None and not effective[0] < effective_moment(t.effective) <= effective[1]:
                continue
            return True
        return False

    def view(self, as_of: date, as_of_entry: datetime) -> WorkerView:
        """Fold the log: personal data as entered, job data as effective on `as_of`."""
        visible = [t for t in self.transactions if t.entry <= as_of_entry]
        live = sorted((t for t in visible if t.live), key=lambda t: t.order)
        hires = [t for t in live if t.kind in HIRE_KINDS]
        personal: dict[str, Any] = {}
        job: dict[str, Any] = {}
        if not hires:  # every hire rescinded: keep the names it carried so the record stays recognisable
            for t in visible:
                if t.kind in HIRE_KINDS:
                    personal.update({k: v for k, v in t.changes.items() if k in PERSONAL_FIELDS})
        for t in live:
            for name, value in t.changes.items():
                if name in PERSONAL_FIELDS:
                    personal[name] = value
                elif name in JOB_FIELDS and t.effective <= as_of:
                    job[name] = value
        ends = [t for t in live if t.kind in END_KINDS]
        effective_now = [t for t in hires + ends if t.effective <= as_of]
        current = max(effective_now, key=lambda t: t.order) if effective_now else None
        started = [t for t in hires if t.effective <= as_of]
        hire = max(started, key=lambda t: t.order) if started else (hires[0] if hires else None)
        end = next((t for t in reversed(ends) if hire is None or t.effective >= hire.effective), None)
        if end is None and current is not None and current.kind in END_KINDS:
            end = current
        terminated = current is not None and current.kind in END_KINDS
        leave_start, leave_return, on_leave = self._leave(live, as_of, terminated)
        return WorkerView(
            worker=self,
            personal=personal,
            job=job or None,
            hire_date=hire.effective if hire else None,
            original_hire_date=hires[0].effective if hires else None,
            rehire=len(hires) > 1,
            active=current is not None and current.kind in HIRE_KINDS,
            terminated=terminated,
            termination_date=end.effective if end else None,
            last_day_of_work=(end.changes.get("last_day_of_work") or end.effective) if end else None,
            termination_reason=end.reason if end else None,
            on_leave=on_leave,
            leave_start=leave_start,
            leave_return=leave_return,
            log=sorted(visible, key=lambda t: (t.entry, t.seq)),
        )

    @staticmethod
    def _leave(
        live: list[Transaction], as_of: date, terminated: bool
    ) -> tuple[date | None, date | None, bool]:
        leaves = [t for t in live if t.kind == LEAVE and t.effective <= as_of]
        if not leaves or terminated:
            return None, None, False
        leave = leaves[-1]
        returned = any(t.kind == RETURN and leave.effective < t.effective <= as_of for t in live)
        if returned:
            return None, None, False
        return leave.effective, leave.changes.get("return_date"), True

    def has_live_hire(self, as_of_entry: datetime) -> bool:
        return any(t.kind in HIRE_KINDS and t.live and t.entry <= as_of_entry for t in self.transactions)


@dataclass(frozen=True)
class Organization:
    """A supervisory organization or cost center of the tenant."""

    reference_id: str
    code: str
    name: str
    kind: str  # Organization_Type_ID: Supervisory, Cost_Center
    superior: str | None = None
    manager: str | None = None  # worker ID of the manager
    inactive: bool = False
