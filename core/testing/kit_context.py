"""What every contract-kit check is handed: the connector class, its running sandbox, and ways
to read a stream the way the engine would (in order, stopped after N checkpoints like a crash)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.connector.contracts import (
    Partition,
    ReadItem,
    RecordDeleted,
    RecordRejected,
    SnapshotCompleted,
    SnapshotStarted,
    SourceConnector,
    StateCheckpoint,
    Stream,
)
from core.declarative.select import moment
from core.sandbox.base import Sandbox
from core.testing.reading import collect

#: items read per stream by the kit (sandboxes are small at contract scale)
READ_LIMIT = 5_000


class NotApplicable(Exception):
    """The check has nothing to prove for this connector (the test reports it as skipped)."""


@dataclass
class KitContext:
    connector_cls: type[SourceConnector]
    sandbox: Sandbox

    def connector(self, **overrides: Any) -> SourceConnector:
        config = {**self.sandbox.instance_config(), **overrides}
        return self.connector_cls(self.connector_cls.config_model.model_validate(config), instance="contract")

    def hook(self, name: str) -> Callable[..., Any] | None:
        """An optional sandbox hook of the kit (`kit_change`, `kit_delete`, `kit_duplicate`)."""
        found = getattr(self.sandbox, name, None)
        return found if callable(found) else None


def read_items(
    stream: Stream,
    state: dict[str, Any] | None,
    partition: Partition,
    stop_after_checkpoints: int | None = None,
) -> list[ReadItem]:
    """Everything one read yielded, in order (optionally cut short after N checkpoints)."""
    items: list[ReadItem] = []
    checkpoints = 0
    for item in itertools.islice(stream.read(state, partition), READ_LIMIT):
        items.append(item)
        if isinstance(item, StateCheckpoint):
            checkpoints += 1
            if stop_after_checkpoints is not None and checkpoints >= stop_after_checkpoints:
                break
    return items


def read_all(
    stream: Stream,
    state: dict[str, Any] | None,
    partition: Partition,
    stop_after_checkpoints: int | None = None,
) -> tuple[list[dict[str, Any]], list[str], dict[str, Any] | None]:
    """Records, deleted keys and the last checkpointed state of one read (optionally cut short)."""
    done = collect(read_items(stream, state, partition, stop_after_checkpoints))
    return done.records, done.deleted_keys, done.state if done.checkpoints else state


def records_of(items: list[ReadItem]) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)]


def rejected_of(items: list[ReadItem]) -> list[RecordRejected]:
    return [i for i in items if isinstance(i, RecordRejected)]


def deleted_of(items: list[ReadItem]) -> list[str]:
    return [i.key for i in items if isinstance(i, RecordDeleted)]


def checkpoints_of(items: list[ReadItem]) -> list[dict[str, Any]]:
    return [i.state for i in items if isinstance(i, StateCheckpoint)]


def markers_of(items: list[ReadItem]) -> list[str]:
    return [
        "started" if isinstance(i, SnapshotStarted) else "completed"
        for i in items
        if isinstance(i, (SnapshotStarted, SnapshotCompleted))
    ]


def changing_streams(connector: SourceConnector) -> list[Stream]:
    return [s for s in connector.streams() if s.mode in ("incremental", "delta")]


def cursor_key(stream: Stream) -> str:
    return getattr(stream, "cursor_state_key", "cursor")


def before(a: Any, b: Any) -> bool:
    """Whether cursor value `a` comes strictly before `b` (as instants when both parse)."""
    ma, mb = moment(a), moment(b)
    if ma is not None and mb is not None:
        return ma < mb
    return str(a) < str(b)
