"""Reading a stream outside the sync runner: what one `read()` yielded, split by kind.

Connector tests, the contract kit and the benchmarks all need the same view of a read (records,
deletions, rejections, checkpoints and snapshot markers), so it lives here once. `tally` is the
benchmarks' variant: it counts records instead of keeping them, so memory stays flat at 100,000.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.connector.contracts import (
    Partition,
    ReadItem,
    RecordDeleted,
    RecordRejected,
    SnapshotCompleted,
    SnapshotStarted,
    StateCheckpoint,
    Stream,
)


@dataclass
class Read:
    """What one read of a stream produced, in the order it came."""

    records: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[RecordDeleted] = field(default_factory=list)
    rejected: list[RecordRejected] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    #: "started" / "completed" for each snapshot marker, in order
    snapshots: list[str] = field(default_factory=list)

    @property
    def state(self) -> dict[str, Any] | None:
        """The last checkpointed state (what the next run would start from)."""
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def deleted_keys(self) -> list[str]:
        return [d.key for d in self.deleted]

    def keys(self, name: str) -> list[Any]:
        return [r[name] for r in self.records]

    def by(self, name: str, *, fold: bool = False) -> dict[str, dict[str, Any]]:
        """Records by one field's value (case-folded with `fold`)."""
        return {(str(r[name]).casefold() if fold else str(r[name])): r for r in self.records}

    def add(self, item: ReadItem) -> None:
        if isinstance(item, StateCheckpoint):
            self.checkpoints.append(item.state)
        elif isinstance(item, RecordDeleted):
            self.deleted.append(item)
        elif isinstance(item, RecordRejected):
            self.rejected.append(item)
        elif isinstance(item, SnapshotStarted):
            self.snapshots.append("started")
        elif isinstance(item, SnapshotCompleted):
            self.snapshots.append("completed")
        else:
            self.records.append(item)


def collect(
    items: Iterable[ReadItem], *, stop_after_checkpoints: int | None = None, limit: int | None = None
) -> Read:
    """Split items into a `Read`, optionally stopping (as a crash would) after N checkpoints."""
    result = Read()
    for item in itertools.islice(items, limit):
        result.add(item)
        if stop_after_checkpoints is not None and len(result.checkpoints) >= stop_after_checkpoints:
            break
    return result


def read(
    stream: Stream,
    state: dict[str, Any] | None = None,
    partition: Partition | None = None,
    *,
    stop_after_checkpoints: int | None = None,
) -> Read:
    """One read of a partition (the stream's first when None) from `state`."""
    where = partition if partition is not None else stream.partitions()[0]
    return collect(stream.read(state, where), stop_after_checkpoints=stop_after_checkpoints)


@dataclass
class Tally:
    """What a read produced, counted rather than kept."""

    records: int = 0
    state: dict[str, Any] | None = None
    #: values of the `key` field asked for, if any
    keys: set[str] = field(default_factory=set)


def tally(items: Iterable[ReadItem], *, key: str | None = None) -> Tally:
    """Count the records of a read, keep its last state and (optionally) one field's values."""
    result = Tally()
    for item in items:
        if isinstance(item, StateCheckpoint):
            result.state = item.state
        elif isinstance(item, dict):
            result.records += 1
            if key is not None:
                result.keys.add(str(item[key]))
    return result


def tally_partitions(stream: Stream) -> tuple[int, int]:
    """(records, partitions) of a full read of every partition of a stream."""
    partitions = stream.partitions()
    return sum(tally(stream.read(None, p)).records for p in partitions), len(partitions)
