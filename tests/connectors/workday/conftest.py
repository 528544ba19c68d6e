"""A Workday sandbox tenant over HTTPS per test, on a pinned hub clock, and connectors against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.workday.config import WorkdayConfig
from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from core.connector.contracts import Stream
from core.sandbox import fake_clock
from core.sandbox.ca import SandboxCA
from core.testing.reading import Read
from core.testing.reading import read as read_stream

SCALE = 40
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def now() -> Iterator[datetime]:
    """The hub clock pinned at START (sandbox entry moments and connector windows both read it)."""
    fake_clock.set_now(START)
    yield START
    fake_clock.set_now(None)


@pytest.fixture
def tenant(
    now: datetime, sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkdaySandbox]:
    """A fresh tenant of the demo roster (40 workers, pages of 20)."""
    with WorkdaySandbox(
        seed=7, scale=SCALE, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("wd") / "wd"
    ) as sandbox:
        yield sandbox  # type: ignore[misc]


@pytest.fixture
def make_connector(tenant: WorkdaySandbox) -> Iterator[Callable[..., WorkdayConnector]]:
    made: list[WorkdayConnector] = []

    def make(**overrides: Any) -> WorkdayConnector:
        config = WorkdayConfig.model_validate({**tenant.instance_config(), "max_retries": 3, **overrides})
        connector = WorkdayConnector(config, instance="workday")
        connector.client._sleep = lambda seconds: None  # backoff is exercised, not waited
        connector.client.http._sleep = lambda seconds: None
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


def read(stream: Stream, state: dict[str, Any] | None = None) -> Read:
    return read_stream(stream, state)


def later(**delta: float) -> datetime:
    """Move the pinned hub clock forward."""
    return fake_clock.advance(timedelta(**delta))
