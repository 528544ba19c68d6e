"""The sync runner: one stream partition per run, recorded in the run ledger.

Each record is keyed, mapped (a mapping failure quarantines that record with its reason and the
sync goes on), and staged in batches; every `StateCheckpoint` commits the batch with the state.
A full-snapshot stream that read to the end then gets absence/deletion applied (or held by the
mass-change guard). Failures are recorded with their kind and re-raised for the caller
(Airflow retries; the CLI prints).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.connector.contracts import (
    Partition,
    RecordDeleted,
    SourceConnector,
    StateCheckpoint,
    Stream,
    partition_id,
)
from core.errors import ConfigError, HubError, RecordError
from core.store.records import (
    BatchCounts,
    QuarantinedRecord,
    RecordWriter,
    StagedRecord,
    content_hash,
    load_state,
)
from core.store.runs import finish_run, start_run
from core.store.snapshots import finish_snapshot

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
            self.quarantined.append(
                QuarantinedRecord(
                    None, str(missing.args[0]), None, f"primary key field {missing} is empty", record
                )
            )
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

    def full(self) -> bool:
        return len(self.records) + len(self.deletions) + len(self.quarantined) >= BATCH_SIZE

    def flush(self, state: dict[str, Any] | None) -> None:
        if self.records or self.deletions or self.quarantined or state is not None:
            self.writer.write_batch(
                self.records, deletions=self.deletions, quarantined=self.quarantined, state=state
            )
        self.records, self.deletions, self.quarantined = [], [], []


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
    return [_sync_partition(hub, connector, stream, p, full_refresh, progress) for p in parts]


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
    snapshot = stream.mode == "full_snapshot"
    writer = RecordWriter(store, instance, stream.name, pid, run_id, track_snapshot=snapshot)
    stager = _Stager(hub, connector, stream, writer)
    summary = RunSummary(run_id, instance, stream.name, pid, "running")
    started, last_state = time.monotonic(), state
    try:
        for item in stream.read(state, partition):
            if isinstance(item, StateCheckpoint):
                last_state = item.state
                stager.flush(item.state)
            elif isinstance(item, RecordDeleted):
                stager.deletions.append(item.key)
            else:
                stager.add(item)
                if progress and stager.read % 100 == 0:
                    progress(stager.read)
            if stager.full():
                stager.flush(None)
        stager.flush(None)  # records after the last checkpoint: committed, repeated next run
        if progress:
            progress(stager.read)
        policy = hub.config.instance(instance).stream_policy(stream.name)
        outcome = (
            finish_snapshot(
                store, instance=instance, stream=stream.name, partition=pid, run_id=run_id, policy=policy
            )
            if snapshot
            else None
        )
    except Exception as exc:
        summary.status, summary.error = "failed", _describe(exc)
        summary.read, summary.counts, summary.seconds = stager.read, writer.counts, time.monotonic() - started
        finish_run(
            store,
            run_id,
            status="failed",
            read=stager.read,
            counts=writer.counts,
            state_after=last_state,
            error=summary.error,
            error_kind=exc.kind if isinstance(exc, HubError) else "fatal",
        )
        raise
    summary.read, summary.counts, summary.seconds = stager.read, writer.counts, time.monotonic() - started
    if outcome is not None:
        writer.counts.deleted += outcome.deleted
        summary.missing, summary.held, summary.hold_id = outcome.newly_missing, outcome.held, outcome.hold_id
    summary.status = "held" if summary.held else "succeeded"
    finish_run(
        store,
        run_id,
        status=summary.status,  # type: ignore[arg-type]
        read=stager.read,
        counts=writer.counts,
        missing=summary.missing,
        state_after=last_state,
        snapshot_complete=snapshot,
        error=outcome.reason if outcome and outcome.held else None,
    )
    log.info("%s/%s%s: %s", instance, stream.name, f" [{pid}]" if pid else "", summary.as_dict())
    return summary


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"


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
