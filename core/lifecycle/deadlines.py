"""Access-removal deadlines auditors ask for (filled in by the lifecycle engine)."""

from __future__ import annotations

from typing import Any

from core.store.engine import Store


def deadline_report(store: Store) -> dict[str, Any]:
    """Share of leavers whose access was removed within the deadline, and every breach."""
    return {"leavers": 0, "within_deadline": 0, "share": None, "breaches": [], "overdue": []}
