"""The sync runner: one stream partition per run, recorded in the run ledger.

Each record is keyed, mapped (a mapping failure, like a record the connector rejects,
quarantines that record with its reason and the sync goes on), and staged in batches; every
`StateCheckpoint` commits the batch with the state. A completed snapshot (a full-snapshot run read
to the end, or a listing a stream brackets with snapshot markers) then gets absence/deletion
applied, or held by the mass-change guard. Failures are recorded with their kind and re-raised
for the caller (Airflow retries; the CLI prints).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.config.hub_config import StreamPolicy
from core.connector.contracts import (
    Partition,
    RecordDeleted,
    RecordRejected,
    SnapshotCompleted,
    SnapshotStarted,
    SourceConnector,
    StateCheckpoint,
    Stream,
    partition_id,
)
from core.errors import ConfigError, HubError, RecordError
from core.http.redaction import redact_text
from core.store.locks import stage_lock
from core.store.records import (
    BatchCounts,
    QuarantinedRecord,
    RecordWriter,
    StagedRecord,
    content_hash,
    keyless_fingerprint,
    load_state,
)
from core.store.runs import HEARTBEAT_SECONDS, finish_run, heartbeat, start_run
from core.store.snapshots import SnapshotOutcome, current_snapshot, finish_snapshot, start_snapshot

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.sync")
BATCH_SIZE = 500
Progress = Callable[[int], None]


@dataclass
class RunSummary:
    run_id: str
    instance: str
    stream: str
    partition: str
    status: str
    read: int = 0
    counts: BatchCounts = field(default_factory=BatchCounts)
    missing: int = 0
    held: bool = False
    hold_id: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "instance": self.instance,
            "stream": self.stream,
            "partition": self.partition,
            "status": self.status,
            "read": self.read,
            "inserted": self.counts.inserted,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "deleted": self.counts.deleted,
            "missing": self.missing,
            "quarantined": self.counts.quarantined,
            "held": self.held,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }

    def line(self) -> str:
        """One line for a task log, a run note and an asset event (the run's counts, its outcome)."""
        where = f"{self.instance}/{self.stream}" + (f" [{self.partition}]" if self.partition else "")
        c = self.counts
        counts = (
            f"read {self.read}, inserted {c.inserted}, updated {c.updated}, unchanged {c.unchanged}, "
            f"deleted {c.deleted}, missing {self.missing}, quarantined {c.quarantined}"
        )
        outcome = self.status + (f": {self.error}" if self.error else "")
        return f"sync {where}: {counts}; {outcome} in {self.seconds:.1f} s"


class _Stager:
    """Keys, maps and batches records of one run."""

    def __init__(self, hub: Hub, connector: SourceConnector, stream: Stream, writer: RecordWriter) -> None:
        self.stream = stream
        self.writer = writer
        self.mapping = hub.mappings.for_stream(connector.type_name, stream.name)
        self.records: list[StagedRecord] = []
        self.deletions: list[str] = []
        self.quarantined: list[QuarantinedRecord] = []
        self.read = 0
        #: how often each keyless content was seen in this run (identical bad rows stay apart)
        self._keyless: dict[str, int] = {}
        if self.mapping is None:
            log.warning(
                "no mapping for %s/%s: records are staged without a canonical fragment",
                connector.type_name,
                stream.name,
            )

    def add(self, record: dict[str, Any]) -> None:
        self.read += 1
        try:
            key = self.stream.record_key(record)
        except KeyError as missing:
            field = str(missing.args[0])
            reason = f"primary key field {field!r} is empty"
            self._quarantine_keyless(QuarantinedRecord(None, field, None, reason, record))
            return
        entity, fields = None, None
        if self.mapping is not None:
            try:
                fragment = self.mapping.apply(record)
            except RecordError as exc:
                self.quarantined.append(
                    QuarantinedRecord(key, exc.field, exc.expression, exc.message, record)
                )
                return
            if fragment is not None:  # None: the mapping's `when:` filter left this record out
                entity, fields = fragment.entity, fragment.fields
        self.records.append(StagedRecord(key, record, entity, fields, content_hash(record, fields)))

    def reject(self, item: RecordRejected) -> None:
        """Quarantine a record the connector read but could not pass on."""
        self.read += 1
        key = item.key
        if key is None:
            try:
                key = self.stream.record_key(item.record)
            except KeyError:
                key = None
        found = QuarantinedRecord(key, item.field, None, item.reason, item.record, item.position)
        if key is None:
            self._quarantine_keyless(found)
        else:
            self.quarantined.append(found)

    def _quarantine_keyless(self, found: QuarantinedRecord) -> None:
        digest = content_hash(found.payload, None)
        self._keyless[digest] = occurrence = self._keyless.get(digest, 0) + 1
        fingerprint = keyless_fingerprint(found.payload, occurrence)
        self.quarantined.append(dataclasses.replace(found, fingerprint=fingerprint))

    def full(self) -> bool:
        return len(self.records) + len(self.deletions) + len(self.quarantined) >= BATCH_SIZE

    def flush(self, state: dict[str, Any] | None) -> None:
        if self.records or self.deletions or self.quarantined or state is not None:
            self.writer.write_batch(
                self.records, deletions=self.deletions, quarantined=self.quarantined, state=state
            )
        self.records, self.deletions, self.quarantined = [], [], []


class _Snapshots:
    """The snapshots one run reads: starts, continues and completes them in the store."""

    def __init__(self, hub: Hub, writer: RecordWriter, policy: StreamPolicy) -> None:
        self.store, self.writer, self.policy = hub.store, writer, policy
        self.outcomes: list[SnapshotOutcome] = []

    def resume(self) -> None:
        """Continue the snapshot a failed run left open, if any."""
        w = self.writer
        self.writer.snapshot_id = current_snapshot(self.store, w.instance, w.stream, w.partition)

    def start(self) -> None:
        w = self.writer
        start_snapshot(self.store, w.instance, w.stream, w.partition, w.run_id)
        w.snapshot_id = w.run_id

    def complete(self) -> None:
        w = self.writer
        if w.snapshot_id is None:
            log.debug("%s/%s: a snapshot completed that this hub already applied", w.instance, w.stream)
            return
        self.outcomes.append(
            finish_snapshot(
                self.store,
                instance=w.instance,
                stream=w.stream,
                partition=w.partition,
                run_id=w.run_id,
                snapshot_id=w.snapshot_id,
                policy=self.policy,
            )
        )
        w.snapshot_id = None


def sync_stream(
    hub: Hub,
    instance_name: str,
    stream_name: str,
    *,
    partition: Partition | None = None,
    full_refresh: bool = False,
    progress: Progress | None = None,
) -> list[RunSummary]:
    """Sync every partition of a stream (or one); raises the first failure after recording it."""
    connector = hub.connector(instance_name)
    if not isinstance(connector, SourceConnector):
        raise ConfigError(f"{instance_name} is a {connector.type_name} ticket sink, not a source")
    stream = connector.stream(stream_name)
    parts = [partition] if partition is not None else stream.partitions()
    return [_locked_partition(hub, connector, stream, p, full_refresh, progress) for p in parts]


def _locked_partition(
    hub: Hub,
    connector: SourceConnector,
    stream: Stream,
    partition: Partition,
    full_refresh: bool,
    progress: Progress | None,
) -> RunSummary:
    """One runner per stream partition at a time: two would stage the same keys at once (a
    second `hub run`, a manual `hub sync` beside the scheduled task); the second waits."""
    pid = partition_id(partition)
    name = f"sync {connector.instance}/{stream.name}" + (f" [{pid}]" if pid else "")
    settings = hub.config.store
    with stage_lock(
        hub.store, name, wait_seconds=settings.lock_wait_seconds, lease_seconds=settings.lock_lease_seconds
    ):
        return _sync_partition(hub, connector, stream, partition, full_refresh, progress)


def _sync_partition(
    hub: Hub,
    connector: SourceConnector,
    stream: Stream,
    partition: Partition,
    full_refresh: bool,
    progress: Progress | None,
) -> RunSummary:
    store, instance, pid = hub.store, connector.instance, partition_id(partition)
    state = None if full_refresh else load_state(store, instance, stream.name, pid)
    run_id = start_run(
        store,
        instance=instance,
        stream=stream.name,
        partition=pid,
        state_before=state,
        full_refresh=full_refresh,
    )
    whole_run_snapshot = stream.mode == "full_snapshot"
    writer = RecordWriter(store, instance, stream.name, pid, run_id)
    summary = RunSummary(run_id, instance, stream.name, pid, "running")
    started, last_state = time.monotonic(), state
    stager: _Stager | None = None
    pulse = _Heartbeat(store, run_id)
    try:
        # built inside the try: a mapping or policy error must end this run's row, not leave it running
        stager = _Stager(hub, connector, stream, writer)
        snapshots = _Snapshots(hub, writer, hub.config.instance(instance).stream_policy(stream.name))
        snapshots.resume()
        if whole_run_snapshot and (full_refresh or writer.snapshot_id is None):
            snapshots.start()
        for item in stream.read(state, partition):
            pulse()
            if isinstance(item, StateCheckpoint):
                last_state = item.state
                stager.flush(item.state)
            elif isinstance(item, RecordDeleted):
                stager.deletions.append(item.key)
            elif isinstance(item, RecordRejected):
                stager.reject(item)
            elif isinstance(item, SnapshotStarted):
                stager.flush(None)  # what was read before the marker is not part of the listing
                snapshots.start()
            elif isinstance(item, SnapshotCompleted):
                stager.flush(None)
                snapshots.complete()
            else:
                stager.add(item)
                if progress and stager.read % 100 == 0:
                    progress(stager.read)
            if stager.full():
                stager.flush(None)
        stager.flush(None)  # records after the last checkpoint: committed, repeated next run
        if progress:
            progress(stager.read)
        if whole_run_snapshot:
            snapshots.complete()
    except BaseException as exc:  # interrupted too (Ctrl-C, a task killed with SIGTERM): never "running"
        read = stager.read if stager is not None else 0
        summary.status, summary.error = "failed", _describe(exc)
        summary.read, summary.counts, summary.seconds = read, writer.counts, time.monotonic() - started
        finish_run(
            store,
            run_id,
            status="failed",
            read=read,
            counts=writer.counts,
            state_after=last_state,
            error=summary.error,
            error_kind=exc.kind if isinstance(exc, HubError) else "fatal",
        )
        raise
    summary.read, summary.counts, summary.seconds = stager.read, writer.counts, time.monotonic() - started
    held = [o for o in snapshots.outcomes if o.held]
    writer.counts.deleted += sum(o.deleted for o in snapshots.outcomes)
    summary.missing = sum(o.newly_missing for o in snapshots.outcomes)
    summary.held, summary.hold_id = bool(held), held[-1].hold_id if held else None
    summary.status = "held" if summary.held else "succeeded"
    summary.error = "; ".join(o.reason or "" for o in held) or None
    finish_run(
        store,
        run_id,
        status=summary.status,  # type: ignore[arg-type]
        read=stager.read,
        counts=writer.counts,
        missing=summary.missing,
        state_after=last_state,
        snapshot_complete=bool(snapshots.outcomes),
        error=summary.error,
    )
    log.info("%s/%s%s: %s", instance, stream.name, f" [{pid}]" if pid else "", summary.as_dict())
    return summary


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HubError):
        return str(exc)
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return f"interrupted ({type(exc).__name__}) before the read finished"
    return redact_text(f"{type(exc).__name__}: {exc}")  # an unexpected error's text is not vetted


class _Heartbeat:
    """Moves the run's heartbeat at most every `HEARTBEAT_SECONDS` while items flow."""

    def __init__(self, store: Any, run_id: str) -> None:
        self.store, self.run_id, self.last = store, run_id, time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.last >= HEARTBEAT_SECONDS:
            self.last = now
            heartbeat(self.store, self.run_id)


def sync_instance(
    hub: Hub,
    instance_name: str,
    *,
    streams: list[str] | None = None,
    full_refresh: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> list[RunSummary]:
    """Sync the named (or every enabled) stream of an instance, in the connector's order."""
    connector = hub.connector(instance_name)
    if not isinstance(connector, SourceConnector):
        raise ConfigError(f"{instance_name} is a ticket sink, not a source")
    policy_of = hub.config.instance(instance_name).stream_policy
    names = streams or [s.name for s in connector.streams() if policy_of(s.name).enabled]
    summaries: list[RunSummary] = []
    for name in names:
        step = (lambda n, _name=name: progress(_name, n)) if progress else None
        summaries.extend(sync_stream(hub, instance_name, name, full_refresh=full_refresh, progress=step))
    return summaries
