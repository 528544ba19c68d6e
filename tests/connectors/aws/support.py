"""Helpers shared by the AWS tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.aws.connector import AwsConnector
from core.connector.contracts import ReadItem, RecordDeleted, StateCheckpoint, Stream

ConnectorFactory = Callable[..., AwsConnector]


def read(stream: Stream, partition: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every record of one partition (the stream's only one when None)."""
    items: list[ReadItem] = list(
        stream.read(None, partition if partition is not None else stream.partitions()[0])
    )
    assert isinstance(items[-1], StateCheckpoint), "a read ends with its checkpoint"
    return [i for i in items if not isinstance(i, StateCheckpoint | RecordDeleted)]


def read_all(stream: Stream) -> list[dict[str, Any]]:
    return [record for partition in stream.partitions() for record in read(stream, partition)]
