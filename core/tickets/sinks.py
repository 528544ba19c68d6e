"""Which ticket sink and notifier a deployment uses (`tickets.sink`, `tickets.notifier`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.connector.sink import Notifier, TicketSink
from core.errors import ConfigError
from core.tickets.builtin_sink import BuiltinConfig, BuiltinSink

if TYPE_CHECKING:
    from core.hub import Hub


def ticket_sink(hub: Hub, name: str | None = None) -> TicketSink:
    name = name or hub.config.tickets.sink
    if name == "builtin":
        return BuiltinSink(BuiltinConfig(), instance="builtin", store=hub.store)
    connector = hub.connector(name)
    if not isinstance(connector, TicketSink):
        raise ConfigError(f"tickets.sink {name!r} is a {connector.type_name} connector, not a ticket sink")
    return connector


def notifier(hub: Hub) -> Notifier | None:
    name = hub.config.tickets.notifier
    if not name:
        return None
    connector = hub.connector(name)
    if not isinstance(connector, Notifier):
        raise ConfigError(f"tickets.notifier {name!r} is not a notifier")
    return connector
