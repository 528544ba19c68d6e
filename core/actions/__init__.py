"""Actions the hub performs itself in a connected system (disable an account, deactivate keys).

The vocabulary is here (`Action`, `Plan`, `Outcome`, `Exchange`, the `Executor` protocol);
the executors live with the connector of the system they touch (`connectors/<name>/actions.py`).
Every executor reads the current state first, in `plan()` (a dry run) and again in `execute()`,
so a rerun after a crash changes nothing that is already as wanted.
"""

from core.actions.model import (
    Action,
    ActionsDisabledError,
    Exchange,
    Executor,
    Outcome,
    Plan,
    require_opt_in,
)

__all__ = [
    "Action",
    "ActionsDisabledError",
    "Exchange",
    "Executor",
    "Outcome",
    "Plan",
    "require_opt_in",
]
