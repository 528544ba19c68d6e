"""A MUNIS sandbox per test (its data is mutated), and connectors on each of its transports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.munis.config import MunisConfig
from connectors.munis.connector import MunisConnector
from connectors.munis.sandbox import MunisSandbox
from core.sandbox.ca import SandboxCA


@pytest.fixture
def munis(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[MunisSandbox]:
    sandbox = MunisSandbox(seed=7, scale=30, ca=sandbox_ca, workdir=tmp_path / "munis")
    with sandbox:
        yield sandbox


@pytest.fixture
def connect(munis: MunisSandbox) -> Iterator[Callable[..., MunisConnector]]:
    """connect(config_dict, **overrides) -> a MunisConnector, closed after the test."""
    made: list[MunisConnector] = []

    def make(config: dict[str, Any] | None = None, **overrides: Any) -> MunisConnector:
        settings = {**(config if config is not None else munis.instance_config()), **overrides}
        connector = MunisConnector(MunisConfig.model_validate(settings), instance="munis")
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()
