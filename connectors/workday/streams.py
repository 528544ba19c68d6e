"""Streams of the Workday connector.

- `workers` (SOAP, incremental): the first run reads every worker as of now; later runs read two
  transaction-log windows from the last window end to now, `Updated_From/Updated_Through` (what was
  entered, e.g. a termination keyed today for next month) and `Effective_From/Effective_Through`
  (what took effect, e.g. that termination next month). Each request pins `As_Of_Entry_DateTime`
  to the window end, so paging is stable and an interrupted run resumes at the next page.
- `workers` (RaaS, full snapshot): the custom report, all workers every run; absence means deletion.
- `organizations` (SOAP, full snapshot): supervisory organizations and cost centers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from connectors.workday.client import WorkdayClient
from connectors.workday.parse import merge_future_job, merge_pending_job, organization_record, report_record
from connectors.workday.schemas import ORGANIZATION_SCHEMA, WORKER_SCHEMA
from connectors.workday.soap import WorkersQuery
from connectors.workday.worker_xml import worker_record
from core import clock
from core.connector.contracts import Partition, ReadItem, StateCheckpoint, Stream


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _to_millisecond(moment: datetime) -> datetime:
    """Window ends are sent with millisecond precision: the state must hold exactly what was sent."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _moment(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class WorkersStream(Stream):
    """Workers by Get_Workers with transaction-log windows (state: the last window end)."""

    name = "workers"
    primary_key = ("WID",)
    mode = "incremental"
    schema: ClassVar[dict[str, Any]] = WORKER_SCHEMA

    def __init__(self, client: WorkdayClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        state = state or {}
        cursor: str | None = state.get("cursor")
        window = state.get("window")
        phases: tuple[str, ...] = ("full",) if cursor is None else ("updated", "effective")
        resume_page = 1
        if window:  # resume an interrupted window at the page after the last checkpoint
            through = _moment(str(window["through"]))
            phases = phases[phases.index(str(window["phase"])) :]
            resume_page = int(window.get("page", 0)) + 1
        else:
            through = _to_millisecond(clock.now() - timedelta(seconds=self.client.config.window_lag_seconds))
            if cursor is not None and _moment(cursor) > through:
                through = _moment(cursor)
        seen: set[str] = set()
        lookahead = _Lookahead(self.client, through)
        for index, phase in enumerate(phases):
            query = self._query(phase, cursor, through, resume_page if index == 0 else 1)
            for results, workers in self.client.worker_pages(query):
                for record in (worker_record(w, query.as_of) for w in workers):
                    if phase == "effective" and record["WID"] in seen:
                        continue
                    if phase == "updated":
                        seen.add(str(record["WID"]))
                    if not lookahead.hold(record):
                        yield record
                if lookahead.due():  # a checkpoint must cover every record held so far
                    yield from lookahead.flush()
                    progress = {"through": _iso(through), "phase": phase, "page": results.page or query.page}
                    yield StateCheckpoint({"cursor": cursor, "window": progress})
        yield from lookahead.flush()
        yield StateCheckpoint({"cursor": _iso(through)})

    def _query(self, phase: str, cursor: str | None, through: datetime, page: int) -> WorkersQuery:
        query = WorkersQuery(
            as_of=through.date(), as_of_entry=through, page=page, count=self.client.config.page_size
        )
        if phase == "updated" and cursor is not None:
            query.updated = (_moment(cursor), through)
        elif phase == "effective" and cursor is not None:
            query.effective = (_moment(cursor), through)
        return query


class _Lookahead:
    """Future-dated hires have no position as of today: they are held until a batch is gathered,
    then re-read by WID `As_Of_Effective_Date` their hire date (one request per date) and given the
    job and organization data they will start with. A worker with a future-dated job change is
    re-read the same way as of its date, and keeps the job it brings beside the current one
    (`Pending_Supervisory_Organization_Code`...), so a transfer ticket can be opened in advance. Batching keeps this to a few requests per
    thousand pre-hires instead of several per page."""

    BATCH = 500

    def __init__(self, client: WorkdayClient, through: datetime) -> None:
        self.client = client
        self.through = through
        self.enabled = client.config.prehire_lookahead
        self.held: list[dict[str, Any]] = []

    def hold(self, record: dict[str, Any]) -> bool:
        """Keep a pending hire or job change for the next flush (False: yield the record now)."""
        if not (self.enabled and (record.get("Pending_Hire_Date") or record.get("Pending_Job_Change_Date"))):
            return False
        if not record.get("WID"):
            return False
        self.held.append(record)
        return True

    def due(self) -> bool:
        return not self.held or len(self.held) >= self.BATCH

    def flush(self) -> list[dict[str, Any]]:
        by_date: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in self.held:
            by_date[str(record.get("Pending_Hire_Date") or record["Pending_Job_Change_Date"])].append(record)
        merged: dict[int, dict[str, Any]] = {}
        for day, records in sorted(by_date.items()):
            try:
                as_of_day = date.fromisoformat(day)
            except ValueError:
                continue  # unparsable: the mapping quarantines the record with the real value
            future = self._as_of([str(r["WID"]) for r in records], as_of_day)
            for record in records:
                found = future.get(str(record["WID"]))
                if found is not None:
                    merge = merge_future_job if record.get("Pending_Hire_Date") else merge_pending_job
                    merged[id(record)] = merge(record, found)
        flushed = [merged.get(id(r), r) for r in self.held]
        self.held = []
        return flushed

    def _as_of(self, wids: list[str], as_of: date) -> dict[str, dict[str, Any]]:
        count = self.client.config.page_size
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wids), count):
            query = WorkersQuery(
                as_of=as_of, as_of_entry=self.through, count=count, wids=wids[start : start + count]
            )
            for _, workers in self.client.worker_pages(query):
                for worker in workers:
                    record = worker_record(worker, as_of)
                    found[str(record["WID"])] = record
        return found


class WorkersReportStream(Stream):
    """Workers from the RaaS custom report: every worker every run (deletions by absence)."""

    name = "workers"
    primary_key = ("WID",)
    mode = "full_snapshot"
    schema: ClassVar[dict[str, Any]] = WORKER_SCHEMA

    def __init__(self, client: WorkdayClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        started = clock.now()
        for entry in self.client.report():
            yield report_record(entry)
        yield StateCheckpoint({"cursor": _iso(started)})


class OrganizationsStream(Stream):
    """Supervisory organizations and cost centers by Get_Organizations (full snapshot)."""

    name = "organizations"
    primary_key = ("Organization_Reference_ID",)
    mode = "full_snapshot"
    schema: ClassVar[dict[str, Any]] = ORGANIZATION_SCHEMA

    def __init__(self, client: WorkdayClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        started = clock.now()
        records = [organization_record(org) for page in self.client.organization_pages() for org in page]
        codes = {r["Organization_Reference_ID"]: r.get("Organization_Code") for r in records}
        for record in records:  # an org chart is small: buffer it to name each parent by its code
            superior = record.get("Superior_Organization_ID")
            record["Superior_Organization_Code"] = codes.get(superior) if superior else None
            yield record
        yield StateCheckpoint({"cursor": _iso(started)})
