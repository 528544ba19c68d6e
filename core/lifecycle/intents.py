"""The words detection speaks: a person's change as evaluation sees it, their open events, the
policy it applies and the intents it returns (open, move, cancel, supersede, record an event)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from core.lifecycle.employments import Employment
from core.vocabulary import TransferNotice

Action = Literal["open", "move", "cancel", "supersede", "record"]


@dataclass(frozen=True)
class OpenEvent:
    """An event of the person still planned or ticketed (done, cancelled and superseded ones never match)."""

    id: str
    event_type: str
    effective_date: date | None
    employment: int = 1


@dataclass
class Intent:
    action: Action
    event_type: str
    effective_date: date | None = None
    event_id: str | None = None
    reason: str = ""
    changed: set[str] = field(default_factory=set)
    suppressed: bool = False
    employment: int = 1
    #: a transfer given notice of in advance: due when it takes effect, not a deadline after it
    notice: bool = False


@dataclass
class PersonChange:
    before: dict[str, Any]
    after: dict[str, Any]
    changed: set[str]
    is_new: bool
    deleted: bool
    open_events: list[OpenEvent] = field(default_factory=list)
    #: the current employment as last acted on; None when the person is first seen
    employment: Employment | None = None
    #: the highest employment generation ever given to the person (rescinded ones included)
    last_generation: int = 0

    def open_of(self, generation: int, *types: str, on: date | None = None) -> OpenEvent | None:
        found = [
            e
            for e in self.open_events
            if e.event_type in types and e.employment == generation and (on is None or e.effective_date == on)
        ]
        return found[-1] if found else None


@dataclass(frozen=True)
class Policy:
    existing_staff_days: int = 14
    transfer_notice: TransferNotice = "advance"


@dataclass
class Detection:
    intents: list[Intent] = field(default_factory=list)
    #: employment rows to save, in order (an ended one before the one a rehire opens)
    employments: list[Employment] = field(default_factory=list)
