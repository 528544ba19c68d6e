"""Admin operations of the sandbox tenant: the business processes an HR partner runs in Workday.

Each operation records a transaction entered at the hub clock's `now()` with its own effective
date, so Get_Workers windows see it exactly as a real tenant would: a termination entered today
for next month appears in today's `Updated_From/Updated_Through` window and again in the
`Effective_From/Effective_Through` window that contains next month's date.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from connectors.workday.sandbox.directory import WorkerDirectory
from connectors.workday.sandbox.tenant import (
    CHANGE_JOB,
    CHANGE_PERSONAL,
    CONTRACT,
    CORRECT,
    END_CONTRACT,
    END_KINDS,
    HIRE,
    HIRE_KINDS,
    JOB_FIELDS,
    LEAVE,
    PERSONAL_FIELDS,
    RESCIND,
    RETURN,
    TERMINATE,
    Transaction,
    Worker,
)
from connectors.workday.sandbox.tenant_seed import SITES, job_profile_id
from core import clock
from core.sandbox.org import DEPARTMENTS, TITLES, email_for

WORKER_TYPE_CHOICES = ("employee", "contractor", "intern", "temporary")
#: admin argument names -> transaction change names
FIELD_ALIASES = {"manager_employee_id": "manager"}
#: other names scenario writers use for the same arguments
ARGUMENT_ALIASES = {
    "org": "department",
    "supervisory_organization": "department",
    "effective_date_of_hire": "hire_date",
}

_JOB = frozenset(
    {"department", "time_zone", "title", "job_profile", "position_id", "location", "worker_type"}
) | {"manager_employee_id"}
_WHO = frozenset({"employee_id"}) | set(ARGUMENT_ALIASES)
#: op -> the arguments it takes (aliases included): scenario files are checked against this up front
ADMIN_ARGUMENTS: dict[str, frozenset[str] | None] = {
    "hire": _WHO
    | _JOB
    | {"given_name", "family_name", "preferred_name", "email", "user_id", "hire_date", "manager_employee_id"},
    "terminate": _WHO | {"termination_date", "last_day_of_work", "reason"},
    "rescind_hire": _WHO,
    "reverse_termination": _WHO,
    "rescind_transfer": _WHO,
    "correct": _WHO
    | _JOB
    | PERSONAL_FIELDS
    | {"hire_date", "termination_date", "last_day_of_work", "transfer_date"},
    "update": _WHO
    | _JOB
    | PERSONAL_FIELDS
    | {"hire_date", "termination_date", "last_day_of_work", "transfer_date"},
    "transfer": _WHO | _JOB | {"effective_date"},
    "leave": _WHO | {"start_date", "return_date", "leave_type"},
    "return_from_leave": _WHO | {"return_date"},
    "convert": _WHO | _JOB | {"conversion_date", "effective_date", "new_employee_id"},
    "rehire": _WHO | _JOB | {"hire_date"},
}


def parse_day(value: Any, name: str) -> date | None:
    """A date argument given as `YYYY-MM-DD` (or a date); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None


class TenantAdmin:
    """Named mutations used by scenarios, tests and the demo (`workday.hire`, `workday.terminate`...)."""

    def __init__(self, directory: WorkerDirectory, seed: int) -> None:
        self.directory = directory
        self.seed = seed
        self._counter = itertools.count(1)
        self._taken: set[str] | None = None
        self.ops: dict[str, Callable[[dict[str, Any]], Any]] = {
            "hire": self.hire,
            "terminate": self.terminate,
            "rescind_hire": self.rescind_hire,
            "reverse_termination": self.reverse_termination,
            "rescind_transfer": self.rescind_transfer,
            "correct": self.correct,
            "update": self.correct,
            "transfer": self.transfer,
            "leave": self.leave,
            "return_from_leave": self.return_from_leave,
            "convert": self.convert,
            "rehire": self.rehire,
        }

    def run(self, op: str, args: dict[str, Any]) -> Any:
        handler = self.ops.get(op)
        if handler is None:
            raise ValueError(f"unknown workday admin op {op!r}; known: {', '.join(self.ops)}")
        args = dict(args)
        if isinstance(args.get("fields"), dict):  # `update: {employee_id, fields: {...}}`
            args.update(args.pop("fields"))
        result = handler({ARGUMENT_ALIASES.get(k, k): v for k, v in args.items()})
        self.directory.changed()
        return result

    # -- helpers ---------------------------------------------------------------------------
    def _wid(self, kind: str) -> str:
        return hashlib.sha256(f"admin:{self.seed}:{kind}:{next(self._counter)}".encode()).hexdigest()[:32]

    def _txn(
        self, kind: str, effective: date, changes: dict[str, Any] | None = None, **extra: Any
    ) -> Transaction:
        entered = self.directory.entry_moment(clock.now())
        return Transaction(self._wid("txn"), kind, entered, effective, dict(changes or {}), **extra)

    def _today(self) -> date:
        return clock.today()

    def _worker(self, args: dict[str, Any]) -> Worker:
        if not args.get("employee_id"):
            raise ValueError("employee_id is required")
        return self.directory.find(str(args["employee_id"]))

    def _email(self, given: str, family: str) -> str:
        if self._taken is None:
            self._taken = set()
            for worker in self.directory.workers.values():
                for t in worker.transactions:
                    if t.changes.get("email"):
                        self._taken.add(str(t.changes["email"]).split("@")[0])
        return email_for(given, family, self._taken)

    def _job_changes(self, args: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        """Job changes from admin args; a new department brings its manager and location unless given."""
        changes: dict[str, Any] = {}
        if args.get("department"):
            org = self.directory.organization(str(args["department"]))
            changes["department"] = org.code
            if org.code != current.get("department"):
                dept = next((d for d in DEPARTMENTS if d.code == org.code), None)
                changes["manager"] = org.manager
                changes["location"] = dept.location if dept else current.get("location")
        if args.get("time_zone") and not args.get("location"):
            changes["location"] = self._site_in(
                str(args["time_zone"]), changes.get("location") or current.get("location")
            )
        for name in ("title", "job_profile", "position_id", "location", "worker_type", "manager_employee_id"):
            if args.get(name) not in (None, ""):
                changes[FIELD_ALIASES.get(name, name)] = args[name]
        if "title" in changes and "job_profile" not in changes:
            changes["job_profile"] = job_profile_id(str(changes["title"]))
        if "worker_type" in changes and changes["worker_type"] not in WORKER_TYPE_CHOICES:
            raise ValueError(f"worker_type must be one of {', '.join(WORKER_TYPE_CHOICES)}")
        return changes

    @staticmethod
    def _site_in(time_zone: str, preferred: Any) -> str:
        """A work site in `time_zone` (Workday keeps the time zone on the location)."""
        if preferred in SITES and SITES[preferred][1] == time_zone:
            return str(preferred)
        for code, (_, zone) in SITES.items():
            if zone == time_zone:
                return code
        zones = sorted({zone for _, zone in SITES.values()})
        raise ValueError(
            f"no work site in time zone {time_zone!r}; the sandbox has sites in {', '.join(zones)}"
        )

    def _current_job(self, worker: Worker) -> dict[str, Any]:
        view = worker.view(self._today(), clock.now())
        return dict(view.job or {})

    def _open_end(self, worker: Worker) -> Transaction | None:
        """The live termination after the latest live hire, if any."""
        hire = worker.latest(HIRE_KINDS)
        end = worker.latest(END_KINDS)
        if end is not None and hire is not None and end.order > hire.order:
            return end
        return None

    # -- operations ------------------------------------------------------------------------
    def hire(self, args: dict[str, Any]) -> str:
        """Hire (or contract) a new worker; a future `hire_date` makes a pre-hire. Returns the worker ID."""
        given, family = args.get("given_name"), args.get("family_name")
        if not given or not family:
            raise ValueError("hire needs given_name and family_name")
        worker_type = str(args.get("worker_type") or "employee")
        if worker_type not in WORKER_TYPE_CHOICES:
            raise ValueError(f"worker_type must be one of {', '.join(WORKER_TYPE_CHOICES)}")
        org = self.directory.organization(str(args.get("department") or "ADM"))
        dept = next(d for d in DEPARTMENTS if d.code == org.code) if org.code != "AGENCY" else DEPARTMENTS[0]
        title = str(args.get("title") or TITLES[dept.code][-1])
        worker_id = str(args.get("employee_id") or self.directory.next_worker_id())
        email = str(args.get("email") or self._email(str(given), str(family)))
        changes = {
            "given_name": given,
            "family_name": family,
            "preferred_name": args.get("preferred_name"),
            "email": email,
            "user_id": args.get("user_id", email),
            "title": title,
            "job_profile": args.get("job_profile") or job_profile_id(title),
            "position_id": args.get("position_id") or f"P-{worker_id}",
            "department": org.code,
            "manager": args.get("manager_employee_id") or org.manager,
            "worker_type": worker_type,
            "location": args.get("location") or dept.location,
        }
        if args.get("time_zone") and not args.get("location"):
            changes["location"] = self._site_in(str(args["time_zone"]), dept.location)
        contingent = worker_type == "contractor"
        worker = Worker(self._wid("worker"), worker_id, contingent)
        hired = parse_day(args.get("hire_date"), "hire_date") or self._today()
        worker.add(self._txn(CONTRACT if contingent else HIRE, hired, changes, reason="New_Hire"))
        self.directory.add(worker)
        return worker_id

    def terminate(self, args: dict[str, Any]) -> str:
        """Terminate (or end the contract of) a worker, possibly future-dated."""
        worker = self._worker(args)
        if worker.latest(HIRE_KINDS) is None:
            raise ValueError(f"{worker.worker_id} has no hire to terminate (rescinded?)")
        if self._open_end(worker) is not None:
            raise ValueError(f"{worker.worker_id} already has a termination; reverse it first")
        ended = parse_day(args.get("termination_date"), "termination_date") or self._today()
        last_day = parse_day(args.get("last_day_of_work"), "last_day_of_work")
        kind = END_CONTRACT if worker.contingent else TERMINATE
        reason = str(args.get("reason") or ("End_of_Contract" if worker.contingent else "Resignation"))
        worker.add(self._txn(kind, ended, {"last_day_of_work": last_day or ended}, reason=reason))
        self._cancel_job_changes_after(worker, ended)
        return worker.worker_id

    def _cancel_job_changes_after(self, worker: Worker, ended: date) -> None:
        """Workday's Terminate Employee (and End Contingent Worker Contract) business process hands
        the HR coordinator a Manage Business Processes for Worker step, where the worker's pending
        business processes are cancelled: a job change entered in advance and due after the
        termination date cannot happen, so it is rescinded and stays so if the termination is later
        reversed or a rehire follows. A job change already in effect is history and stays."""
        hire = worker.latest(HIRE_KINDS)
        for change in self._pending_job_changes(worker):
            if (hire is None or change.order > hire.order) and change.effective > ended:
                self._rescind(worker, change)

    def _rescind(self, worker: Worker, target: Transaction) -> None:
        target.rescinded = True
        worker.add(self._txn(RESCIND, target.effective, rescinded=True, target=target.wid))

    def rescind_hire(self, args: dict[str, Any]) -> str:
        """Rescind the latest hire: it never happened (the worker leaves full Get_Workers results)."""
        worker = self._worker(args)
        hire = worker.latest(HIRE_KINDS)
        if hire is None:
            raise ValueError(f"{worker.worker_id} has no hire left to rescind")
        self._rescind(worker, hire)
        return worker.worker_id

    def reverse_termination(self, args: dict[str, Any]) -> str:
        """Rescind the latest termination: the worker stays employed."""
        worker = self._worker(args)
        end = self._open_end(worker)
        if end is None:
            raise ValueError(f"{worker.worker_id} has no termination to reverse")
        self._rescind(worker, end)
        return worker.worker_id

    def _pending_job_changes(self, worker: Worker) -> list[Transaction]:
        """The live job changes that have not taken effect yet."""
        today = self._today()
        return [t for t in worker.transactions if t.kind == CHANGE_JOB and t.live and t.effective > today]

    def _pending_transfer(self, worker: Worker) -> Transaction | None:
        """The live job change that has not taken effect yet (the earliest, if several)."""
        pending = self._pending_job_changes(worker)
        return min(pending, key=lambda t: t.order) if pending else None

    def rescind_transfer(self, args: dict[str, Any]) -> str:
        """Rescind a future-dated transfer (Change Job) before it takes effect: it never happens."""
        worker = self._worker(args)
        target = self._pending_transfer(worker)
        if target is None:
            raise ValueError(f"{worker.worker_id} has no future-dated transfer to rescind")
        self._rescind(worker, target)
        return worker.worker_id

    def correct(self, args: dict[str, Any]) -> str:
        """Correct data in place (names, email, title, dates...) without a new effective date."""
        worker = self._worker(args)
        personal = {k: args[k] for k in PERSONAL_FIELDS if k in args}
        job = self._job_changes(args, self._current_job(worker))
        dates = {
            k: args[k]
            for k in ("hire_date", "termination_date", "last_day_of_work", "transfer_date")
            if k in args
        }
        if not (personal or job or dates):
            raise ValueError("correct needs at least one field to change")
        if personal:
            worker.add(self._txn(CHANGE_PERSONAL, self._today(), personal, corrected=True))
        if job:
            target = self._job_target(worker)
            target.corrected = True
            worker.add(self._txn(CORRECT, target.effective, job, corrected=True, target=target.wid))
        if "hire_date" in dates:
            self._move(worker, worker.latest(HIRE_KINDS), parse_day(dates["hire_date"], "hire_date"), "hire")
        if "transfer_date" in dates:
            moved = parse_day(dates["transfer_date"], "transfer_date")
            self._move(worker, self._pending_transfer(worker), moved, "future-dated transfer")
        if "termination_date" in dates or "last_day_of_work" in dates:
            end = self._open_end(worker)
            old_end = end.effective if end else None
            new_end = parse_day(dates.get("termination_date"), "termination_date")
            self._move(worker, end, new_end or old_end, "termination")
            if end is not None and new_end is not None:
                self._cancel_job_changes_after(worker, new_end)
            if end is not None and "last_day_of_work" in dates:
                end.changes["last_day_of_work"] = parse_day(dates["last_day_of_work"], "last_day_of_work")
            elif end is not None and new_end and end.changes.get("last_day_of_work") == old_end:
                # the last day defaulted to the termination date: the correction moves both
                end.changes["last_day_of_work"] = new_end
        return worker.worker_id

    def _job_target(self, worker: Worker) -> Transaction:
        today = self._today()
        bearing = [t for t in worker.transactions if t.live and JOB_FIELDS & t.changes.keys()]
        started = [t for t in bearing if t.effective <= today]
        pool = started or bearing
        if not pool:
            raise ValueError(f"{worker.worker_id} has no job data to correct")
        return max(pool, key=lambda t: t.order) if started else min(pool, key=lambda t: t.order)

    def _move(self, worker: Worker, target: Transaction | None, day: date | None, what: str) -> None:
        if target is None or day is None:
            raise ValueError(f"{worker.worker_id} has no {what} to correct")
        target.effective = day
        target.corrected = True
        worker.add(self._txn(CORRECT, day, corrected=True, target=target.wid))

    def transfer(self, args: dict[str, Any]) -> str:
        """A mover: department, manager, title or location change effective on `effective_date`."""
        worker = self._worker(args)
        changes = self._job_changes(args, self._current_job(worker))
        if not changes:
            raise ValueError("transfer needs department, manager_employee_id, title, job_profile or location")
        effective = parse_day(args.get("effective_date"), "effective_date") or self._today()
        reason = "Transfer" if "department" in changes else "Job_Change"
        worker.add(self._txn(CHANGE_JOB, effective, changes, reason=reason))
        return worker.worker_id

    def leave(self, args: dict[str, Any]) -> str:
        """Start a leave of absence (optionally future-dated) with an estimated return date."""
        worker = self._worker(args)
        start = parse_day(args.get("start_date"), "start_date") or self._today()
        back = parse_day(args.get("return_date"), "return_date")
        reason = str(args.get("leave_type") or "Medical")
        worker.add(self._txn(LEAVE, start, {"return_date": back}, reason=reason))
        return worker.worker_id

    def return_from_leave(self, args: dict[str, Any]) -> str:
        worker = self._worker(args)
        back = parse_day(args.get("return_date"), "return_date") or self._today()
        worker.add(self._txn(RETURN, back))
        return worker.worker_id

    def convert(self, args: dict[str, Any]) -> str:
        """Convert a contingent worker to an employee: the contract ends and a new employee is hired
        with a new worker ID that names the previous one. Returns the new employee ID."""
        old = self._worker(args)
        if not old.contingent:
            raise ValueError(f"{old.worker_id} is an employee; only contingent workers are converted")
        day = parse_day(args.get("conversion_date") or args.get("effective_date"), "conversion_date")
        day = day or self._today()
        view = old.view(day, clock.now())
        old.add(self._txn(END_CONTRACT, day - timedelta(days=1), {"last_day_of_work": day - timedelta(days=1)},
                          reason="Conversion_to_Employee"))  # fmt: skip
        new_id = str(args.get("new_employee_id") or self.directory.next_worker_id())
        job = {**(view.job or {}), "worker_type": str(args.get("worker_type") or "employee")}
        job.update(self._job_changes(args, job))
        changes = {**view.personal, **job, "previous_worker_id": old.worker_id}
        worker = Worker(self._wid("worker"), new_id, contingent=False)
        worker.add(self._txn(HIRE, day, changes, reason="Conversion"))
        self.directory.add(worker)
        return new_id

    def rehire(self, args: dict[str, Any]) -> str:
        """Rehire a terminated worker under the same WID and worker ID (optionally future-dated)."""
        worker = self._worker(args)
        end = self._open_end(worker)
        day = parse_day(args.get("hire_date"), "hire_date") or self._today()
        if end is None or end.effective >= day:
            raise ValueError(f"{worker.worker_id} is not terminated before {day}; terminate first")
        changes = self._job_changes(args, self._current_job(worker))
        kind = CONTRACT if worker.contingent else HIRE
        worker.add(self._txn(kind, day, changes, reason="Rehire"))
        return worker.worker_id
