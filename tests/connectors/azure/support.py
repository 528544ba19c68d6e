"""Helpers shared by the Azure connector tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.azure.connector import AzureConnector
from connectors.azure.sandbox import AzureSandbox
from core.connector.contracts import Record, SourceConnector
from core.sandbox.ca import SandboxCA
from core.testing.contract_kit import read_all

Connect = Callable[..., AzureConnector]


def start_sandbox(ca: SandboxCA, workdir: Path, **kwargs: Any) -> AzureSandbox:
    """The demo tenant (seed 7, 50 people, 200 resources), started; kwargs tune quotas and size."""
    sandbox = AzureSandbox(seed=7, scale=50, ca=ca, workdir=workdir, **kwargs)
    sandbox.start()
    return sandbox


def read_stream(connector: SourceConnector, name: str) -> list[Record]:
    """Every record of a stream, across all its partitions."""
    stream = connector.stream(name)
    records: list[Record] = []
    for partition in stream.partitions():
        found, _, _ = read_all(stream, None, partition)
        records.extend(found)
    return records
