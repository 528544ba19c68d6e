"""Fixtures: an Azure sandbox tenant over HTTPS and connectors (the real SDK clients) pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.azure.config import AzureConfig
from connectors.azure.connector import AzureConnector
from connectors.azure.sandbox import AzureSandbox
from core.sandbox.ca import SandboxCA
from tests.connectors.azure.support import Connect, start_sandbox


@pytest.fixture(scope="module")
def sandbox(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureSandbox]:
    """A shared, unchanged tenant (tests that change data use `fresh_sandbox`)."""
    running = start_sandbox(sandbox_ca, tmp_path_factory.mktemp("azure") / "azure")
    yield running
    running.stop()


@pytest.fixture
def fresh_sandbox(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[AzureSandbox]:
    running = start_sandbox(sandbox_ca, tmp_path / "azure")
    yield running
    running.stop()


@pytest.fixture
def connect() -> Iterator[Connect]:
    """connect(sandbox, **config overrides) -> a connector, closed after the test."""
    made: list[AzureConnector] = []

    def factory(sandbox: AzureSandbox, **overrides: Any) -> AzureConnector:
        config = AzureConfig.model_validate({**sandbox.instance_config(), **overrides})
        connector = AzureConnector(config, instance="azure")
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        connector.close()
