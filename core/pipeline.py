"""The whole flow as the DAGs run it: sync every source, resolve, detect, plan, deliver, read back.

Each step is idempotent and safe to rerun; Airflow tasks, `hub run`, the scenario runner and the
demo call these same functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.connector.contracts import SourceConnector
from core.connector.registry import connector_class
from core.errors import HubError
from core.http.redaction import redact_text
from core.lifecycle.engine import evaluate
from core.resolve.engine import resolve
from core.sync.runner import sync_instance
from core.tickets.outbox import deliver
from core.tickets.status_sync import sync_status

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.pipeline")


def source_instance_names(hub: Hub) -> list[str]:
    """Enabled instances whose connector is a source, in hub.yaml order."""
    names = []
    for instance in hub.config.instances:
        if not instance.enabled:
            continue
        try:
            if issubclass(connector_class(instance.type), SourceConnector):
                names.append(instance.name)
        except HubError:
            continue
    return names


def delivery_instance_names(hub: Hub) -> list[str]:
    """The ticket sink and notifier instances `tickets:` names (none for the built-in desk)."""
    tickets = hub.config.tickets
    return [n for n in (tickets.sink, tickets.notifier) if n and n != "builtin"]


def run_lifecycle(hub: Hub, *, after_remote: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Resolve, detect events, plan tickets, deliver through the outbox, read status back.

    `after_remote` is passed to `deliver` (scenarios simulate a crash there). The sink and
    notifier configs are validated first, so a wrong one fails before resolution commits."""
    hub.validate(delivery_instance_names(hub))
    resolution = resolve(hub)
    lifecycle = evaluate(hub)
    delivery = deliver(hub, after_remote=after_remote)
    status = sync_status(hub)
    return {
        "resolution": resolution.as_dict(),
        "lifecycle": lifecycle.as_dict(),
        "delivery": delivery.as_dict(),
        "status": status.as_dict(),
    }


def run_all(
    hub: Hub,
    *,
    only: list[str] | None = None,
    on_sync: Callable[[str, list[Any]], None] | None = None,
    after_remote: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Sync every (or the named) source instance, then the lifecycle.

    Sources are isolated: whatever one raises (a hub error, or a bug's exception) is recorded as
    `{"error", "kind"}` for that source, the others go on, and the lifecycle runs on what was
    synced. `failed` lists the sources that failed, so callers can exit non-zero naming them."""
    names = only or source_instance_names(hub)
    hub.validate([*names, *delivery_instance_names(hub)])  # every config error, before any stage
    syncs: dict[str, Any] = {}
    for name in names:
        try:
            summaries = sync_instance(hub, name)
        except HubError as exc:
            syncs[name] = {"error": str(exc), "kind": exc.kind}
            continue
        except Exception as exc:  # a connector bug must not stop the other sources
            log.error("%s: unexpected %s", name, type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
            syncs[name] = {"error": redact_text(f"{type(exc).__name__}: {exc}"), "kind": "fatal"}
            continue
        syncs[name] = [s.as_dict() for s in summaries]
        if on_sync:
            on_sync(name, summaries)
    failed = {name: result for name, result in syncs.items() if isinstance(result, dict)}
    return {"syncs": syncs, "failed": failed, **run_lifecycle(hub, after_remote=after_remote)}
