"""Reading MUNIS streams in tests: records, checkpoints and deletions of one read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.connector.contracts import RecordDeleted, StateCheckpoint, Stream


@dataclass
class Read:
    """What one read of a stream produced."""

    records: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def state(self) -> dict[str, Any] | None:
        return self.checkpoints[-1] if self.checkpoints else None

    def keys(self, key: str) -> list[str]:
        return [r[key] for r in self.records]


def read(
    stream: Stream, state: dict[str, Any] | None = None, stop_after_checkpoints: int | None = None
) -> Read:
    result = Read()
    for item in stream.read(state, {}):
        if isinstance(item, StateCheckpoint):
            result.checkpoints.append(item.state)
            if stop_after_checkpoints and len(result.checkpoints) >= stop_after_checkpoints:
                break
        elif isinstance(item, RecordDeleted):
            result.deleted.append(item.key)
        else:
            result.records.append(item)
    return result
