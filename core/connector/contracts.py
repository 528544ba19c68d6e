"""What a source connector promises the engine.

A connector knows its API and nothing of the canonical model or the store: it yields raw
records (plain JSON-able dicts) and state checkpoints; the engine maps, stages and commits them.

    Connector ──streams()──▶ Stream ──read(state, partition)──▶ Record | RecordDeleted | RecordRejected
                                                              | StateCheckpoint | SnapshotStarted | SnapshotCompleted

Promises a stream makes:
- `read()` is a generator that streams: memory does not grow with the size of the source.
- A `StateCheckpoint` covers every record yielded before it. The engine commits the state in the
  same transaction as those records, so a crash repeats work but never skips it.
- `full_snapshot` streams yield every live record in each run; absence means deletion (decided by
  the store's policy, only after a complete read). `delta` streams yield `RecordDeleted`.
- Any stream that sometimes lists everything (a delta stream's initial round, one complete export
  file) brackets that listing with `SnapshotStarted` / `SnapshotCompleted`, so absence counts then
  too. A snapshot spans runs: a run that fails mid-way leaves it open and the next one continues it.
- A record the connector read but cannot pass on (a duplicate key inside one file) is yielded as
  `RecordRejected`: the engine quarantines it with the reason; it is never silently dropped.
- Partitions (AWS account x region, Azure subscription) are independent units of work with their
  own state, so an orchestrator can fan them out and retry one alone.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from core.vocabulary import ReadMode

Record = dict[str, Any]
Partition = dict[str, str]


@dataclass(frozen=True)
class StateCheckpoint:
    """The stream's state after every record yielded so far (JSON-able, no secrets)."""

    state: dict[str, Any]


@dataclass(frozen=True)
class RecordDeleted:
    """A delta stream's explicit removal of the record with this key."""

    key: str
    permanent: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class RecordRejected:
    """A record the connector read but cannot pass on; quarantined with `reason`, naming `field`.

    `key` (when known) keeps the record's stored version live through a snapshot: the record is
    in the source, only this version of it is unusable.
    """

    record: Record
    reason: str
    field: str | None = None
    key: str | None = None
    #: where the source has it (`employees_20260301.csv line 7`), shown with the quarantine entry
    position: str | None = None


@dataclass(frozen=True)
class SnapshotStarted:
    """What follows, up to `SnapshotCompleted`, lists every live record of the partition.

    Only needed by streams that are not `full_snapshot` (those are one snapshot per run).
    Yield it before the first record of the listing, and not when resuming one mid-way.
    """


@dataclass(frozen=True)
class SnapshotCompleted:
    """The listing begun by `SnapshotStarted` was complete: records it did not list are missing.

    Yield it before the checkpoint that moves past the listing, so a crash in between repeats the
    end of the listing rather than losing the completion.
    """


ReadItem = Record | StateCheckpoint | RecordDeleted | RecordRejected | SnapshotStarted | SnapshotCompleted


@dataclass(frozen=True)
class CheckResult:
    """Outcome of `Connector.check()`: `message` says what was proven or what to fix."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class ConnectorConfig(BaseModel):
    """Base of every connector's typed config. Secret fields use `core.secrets.Secret`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ca_bundle: str | None = Field(
        default=None, description="PEM file of extra trusted CAs (TLS verification is always on)"
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="read timeout of one HTTP request")
    max_retries: int = Field(default=5, ge=0, le=20, description="retries of transient failures")


class Stream(ABC):
    """One kind of record of a source, with its key, cursor and deletion semantics."""

    name: ClassVar[str]
    primary_key: ClassVar[tuple[str, ...]]
    cursor_field: ClassVar[str | None] = None
    mode: ClassVar[ReadMode] = "full_snapshot"
    #: JSON Schema of the raw records (the contract kit validates records against it)
    schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def partitions(self) -> list[Partition]:
        """Independent units of work; the default is one unnamed partition."""
        return [{}]

    @abstractmethod
    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        """Yield records, deletions and state checkpoints from `state` onwards."""

    def record_key(self, record: Record) -> str:
        """The record's key in this stream (primary key values joined by `|`)."""
        parts = []
        for name in self.primary_key:
            value = record.get(name)
            if value is None or value == "":
                raise KeyError(name)
            parts.append(str(value))
        return "|".join(parts)


def partition_id(partition: Partition) -> str:
    """Stable text form of a partition, used in the store and as an Airflow map index label."""
    return json.dumps(partition, sort_keys=True, separators=(",", ":")) if partition else ""


class Connector(ABC):
    """Base of sources and sinks: a typed config, a check, and (optionally) a sandbox."""

    type_name: ClassVar[str]
    title: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]
    #: "module:Class" of the connector's sandbox tenant, if it ships one
    sandbox: ClassVar[str | None] = None
    #: Airflow pool bounding concurrent calls to this system (across workers)
    pool_slots: ClassVar[int] = 4
    #: whether `hub sandbox serve` / the demo start this connector's sandbox
    in_sandbox_fleet: ClassVar[bool] = True

    def __init__(self, config: ConnectorConfig, *, instance: str) -> None:
        self.config = config
        self.instance = instance

    @abstractmethod
    def check(self) -> CheckResult:
        """Prove credentials and reachability; never raises for auth or network failures."""

    def close(self) -> None:
        """Release sessions and clients (default: nothing to release)."""


class SourceConnector(Connector):
    """A connector that reads streams."""

    @abstractmethod
    def streams(self) -> list[Stream]:
        """Every stream this instance offers, in dependency order."""

    def streams_switched_off(self) -> dict[str, str]:
        """Streams this connector offers that this instance's config turns off, each with the
        setting that turns it on (so a mapping for one is not an error, only a note)."""
        return {}

    def stream(self, name: str) -> Stream:
        for s in self.streams():
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.streams())
        from core.errors import ConfigError

        raise ConfigError(f"{self.instance} has no stream {name!r}", hint=f"known streams: {known}")
