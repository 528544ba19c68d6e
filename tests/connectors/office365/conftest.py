"""A Microsoft 365 sandbox tenant over HTTPS per test, and connectors configured against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.office365.config import Office365Config
from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from core.connector.contracts import Stream
from core.sandbox.ca import SandboxCA
from core.testing.reading import Read
from core.testing.reading import read as read_stream

SCALE = 100


@pytest.fixture
def tenant(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office365Sandbox]:
    """A fresh tenant of the demo roster, with small delta pages so rounds span several pages."""
    sandbox = Office365Sandbox(
        seed=7,
        scale=SCALE,
        delta_page_size=25,
        ca=sandbox_ca,
        workdir=tmp_path_factory.mktemp("o365") / "o365",
    )
    with sandbox:
        yield sandbox


@pytest.fixture
def make_connector(tenant: Office365Sandbox) -> Iterator[Callable[..., Office365Connector]]:
    made: list[Office365Connector] = []

    def make(**overrides: Any) -> Office365Connector:
        config = Office365Config.model_validate({**tenant.instance_config(), **overrides})
        connector = Office365Connector(config, instance="office365")
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


def _read(stream: Stream, state: dict[str, Any] | None = None) -> Read:
    return read_stream(stream, state)


@pytest.fixture
def read() -> Callable[..., Read]:
    """`read(stream, state=None)`: run one read to the end and keep what it yielded."""
    return _read
