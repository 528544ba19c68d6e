"""Fixtures: a ServiceNow sandbox instance over HTTPS and sinks pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.servicenow.config import ServiceNowConfig
from connectors.servicenow.sandbox import ServiceNowSandbox
from connectors.servicenow.sink import ServiceNowSink
from core.sandbox.ca import SandboxCA

MakeSink = Callable[..., ServiceNowSink]


@pytest.fixture(scope="module")
def sandbox(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceNowSandbox]:
    running = ServiceNowSandbox(
        seed=7, scale=30, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("snow") / "sn"
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture
def make_sink(sandbox: ServiceNowSandbox) -> Iterator[MakeSink]:
    """make_sink(**config overrides) -> a sink on the sandbox, closed after the test."""
    made: list[ServiceNowSink] = []

    def factory(**overrides: Any) -> ServiceNowSink:
        config = ServiceNowConfig.model_validate({**sandbox.instance_config(), **overrides})
        made.append(ServiceNowSink(config, instance="servicenow"))
        return made[-1]

    yield factory
    for sink in made:
        sink.close()
    sandbox.faults.clear()
    sandbox.admin("set_rate_limit", {"per_hour": None})
