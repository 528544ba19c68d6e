"""Connector contracts (sources and ticket sinks) and their discovery through entry points."""

from core.connector.contracts import (
    CheckResult,
    Connector,
    ConnectorConfig,
    Partition,
    ReadItem,
    Record,
    RecordDeleted,
    SourceConnector,
    StateCheckpoint,
    Stream,
)
from core.connector.sink import Notifier, RemoteTicket, SinkConnector, TaskPayload, TicketPayload, TicketSink

__all__ = [
    "CheckResult",
    "Connector",
    "ConnectorConfig",
    "Notifier",
    "Partition",
    "ReadItem",
    "Record",
    "RecordDeleted",
    "RemoteTicket",
    "SinkConnector",
    "SourceConnector",
    "StateCheckpoint",
    "Stream",
    "TaskPayload",
    "TicketPayload",
    "TicketSink",
]
