"""Helpers shared by the AWS tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.aws.connector import AwsConnector
from core.connector.contracts import Stream
from core.testing.reading import read as read_stream

ConnectorFactory = Callable[..., AwsConnector]


def read(stream: Stream, partition: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every record of one partition (the stream's only one when None)."""
    done = read_stream(stream, None, partition)
    assert done.state is not None, "a read ends with its checkpoint"
    return done.records


def read_all(stream: Stream) -> list[dict[str, Any]]:
    return [record for partition in stream.partitions() for record in read(stream, partition)]
