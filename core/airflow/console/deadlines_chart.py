"""Offboarding compliance as one stacked bar: the eye sees the share within the deadline at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 560, 28


@dataclass(frozen=True)
class Segment:
    label: str
    count: int
    colour: str
    x: float = 0.0
    width: float = 0.0


def segments(report: dict[str, Any]) -> list[Segment]:
    """within / removed late / overdue (not removed, past due) / not yet due, laid out on the bar."""
    overdue = len(report["overdue"])
    late = len(report["breaches"]) - overdue
    within = report["within_deadline"]
    pending = report["leavers"] - within - late - overdue
    parts = [
        Segment("access removed within the deadline", within, "#2e7d32"),
        Segment("removed after the deadline", late, "#ef6c00"),
        Segment("overdue: not removed, past due", overdue, "#c62828"),
        Segment("not yet due", pending, "#9e9e9e"),
    ]
    total = sum(p.count for p in parts) or 1
    laid, x = [], 0.0
    for part in parts:
        width = WIDTH * part.count / total
        laid.append(Segment(part.label, part.count, part.colour, x, width))
        x += width
    return laid
