"""The sandbox tenant's worker directory: lookup by WID or worker ID and the Get_Workers selection
(references, transaction-log windows, exclusions), cached per request shape so that paging through
100,000 workers costs one scan, not one per page."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from connectors.workday.sandbox.tenant import Organization, Worker
from connectors.workday.sandbox.tenant_seed import organizations, seed_workers
from core.sandbox.org import roster

Window = tuple[datetime, datetime]


class InvalidReference(ValueError):
    """A Request_References ID that names no worker (Workday answers a validation fault)."""

    def __init__(self, value: str, id_type: str, message: str | None = None) -> None:
        super().__init__(
            message or f"Invalid ID value. '{value}' is not a valid ID value for type = '{id_type}'"
        )
        self.value = value
        self.id_type = id_type


#: one Worker_Reference: its IDs (ID type, value) are alternate IDs of a single worker
Reference = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Criteria:
    """What one Get_Workers request selects (Request_References / Request_Criteria)."""

    as_of: date
    as_of_entry: datetime
    references: tuple[Reference, ...] = ()  # one entry per Worker_Reference
    updated: Window | None = None
    effective: Window | None = None
    exclude_inactive: bool = False
    exclude_employees: bool = False
    exclude_contingent: bool = False


class WorkerDirectory:
    """Every worker of the tenant, in creation order (the stable order Get_Workers pages in)."""

    CACHE_SIZE = 8

    def __init__(self, seed: int, scale: int, now: datetime) -> None:
        self.workers: dict[str, Worker] = {}
        self.by_worker_id: dict[str, Worker] = {}
        self.organizations: list[Organization] = organizations(roster(seed, scale))
        self._cache: OrderedDict[tuple[int, Criteria], list[Worker]] = OrderedDict()
        self._lock = threading.Lock()
        self.version = 0
        #: the latest As_Of_Entry_DateTime answered: anything entered later must be entered after it
        self.answered_through: datetime | None = None
        for worker in seed_workers(seed, scale, now):
            self.add(worker)

    def add(self, worker: Worker) -> Worker:
        if worker.worker_id in self.by_worker_id:
            raise ValueError(f"worker ID {worker.worker_id!r} is already used by another worker")
        self.workers[worker.wid] = worker
        self.by_worker_id[worker.worker_id] = worker
        self.changed()
        return worker

    def changed(self) -> None:
        """Invalidate cached selections after any mutation."""
        with self._lock:
            self.version += 1
            self._cache.clear()

    def entry_moment(self, now: datetime) -> datetime:
        """When a transaction entered `now` is recorded: never at or before a moment already
        answered (with a pinned hub clock, an event entered after a sync must not fall in its window)."""
        if self.answered_through is not None and now <= self.answered_through:
            return self.answered_through + timedelta(milliseconds=1)
        return now

    def find(self, worker_id: str) -> Worker:
        worker = self.by_worker_id.get(str(worker_id))
        if worker is None:
            raise ValueError(f"no Workday worker with employee/contingent worker ID {worker_id!r}")
        return worker

    def organization(self, code: str) -> Organization:
        for org in self.organizations:
            if org.kind == "Supervisory" and code in (org.code, org.reference_id):
                return org
        known = ", ".join(o.code for o in self.organizations if o.kind == "Supervisory")
        raise ValueError(f"no supervisory organization {code!r}; known: {known}")

    def select(self, criteria: Criteria) -> list[Worker]:
        """The workers a Get_Workers request with these criteria returns, in paging order."""
        key = (self.version, criteria)
        with self._lock:
            if self.answered_through is None or criteria.as_of_entry > self.answered_through:
                self.answered_through = criteria.as_of_entry
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        found = self._select(criteria)
        with self._lock:
            if key[0] == self.version:
                self._cache[key] = found
                while len(self._cache) > self.CACHE_SIZE:
                    self._cache.popitem(last=False)
        return found

    def _select(self, c: Criteria) -> list[Worker]:
        if c.references:
            found = [self._one_worker(reference) for reference in c.references]
        elif c.updated is not None or c.effective is not None:
            found = [w for w in self.workers.values() if w.touched(c.updated, c.effective, c.as_of_entry)]
        else:
            found = [w for w in self.workers.values() if w.has_live_hire(c.as_of_entry)]
        if c.exclude_employees:
            found = [w for w in found if w.contingent]
        if c.exclude_contingent:
            found = [w for w in found if not w.contingent]
        if c.exclude_inactive:
            found = [w for w in found if w.view(c.as_of, c.as_of_entry).active]
        return found

    def _one_worker(self, reference: Reference) -> Worker:
        """The worker a Worker_Reference names: every ID in it must name that same worker (they
        are alternate IDs of one instance, e.g. its WID and its Employee_ID)."""
        if not reference:
            raise InvalidReference("", "", "A Worker_Reference needs at least one ID")
        workers = [self._reference(id_type, value) for id_type, value in reference]
        if any(w.wid != workers[0].wid for w in workers[1:]):
            id_type, value = reference[1]
            raise InvalidReference(
                value,
                id_type,
                f"The IDs of one Worker_Reference must identify the same worker: '{reference[0][1]}' "
                f"and '{value}' are different workers (list each worker in its own Worker_Reference)",
            )
        return workers[0]

    def _reference(self, id_type: str, value: str) -> Worker:
        if id_type == "WID":
            worker = self.workers.get(value)
        elif id_type in ("Employee_ID", "Contingent_Worker_ID"):
            worker = self.by_worker_id.get(value)
            if worker is not None and worker.contingent != (id_type == "Contingent_Worker_ID"):
                worker = None
        else:
            worker = None
        if worker is None:
            raise InvalidReference(value, id_type)
        return worker

    def next_worker_id(self) -> str:
        """The next free `E…` number (new hires continue the roster's numbering)."""
        numbers = [int(w[1:]) for w in self.by_worker_id if w[:1] == "E" and w[1:].isdigit()]
        return f"E{max(numbers, default=10000) + 1}"
