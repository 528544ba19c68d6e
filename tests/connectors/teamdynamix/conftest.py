"""Fixtures: a TeamDynamix sandbox tenant over HTTPS and sinks pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.teamdynamix.config import TeamDynamixConfig
from connectors.teamdynamix.sandbox import TeamDynamixSandbox
from connectors.teamdynamix.sink import TeamDynamixSink
from core.sandbox.ca import SandboxCA


@pytest.fixture(scope="module")
def sandbox(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamDynamixSandbox]:
    running = TeamDynamixSandbox(
        seed=7, scale=30, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("tdx") / "tdx"
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture
def make_sink(sandbox: TeamDynamixSandbox) -> Iterator[Callable[..., TeamDynamixSink]]:
    """make_sink(**config overrides) -> a sink on the sandbox (rate limits off unless a test sets
    them), closed after the test."""
    made: list[TeamDynamixSink] = []
    sandbox.admin("set_rate_limit", {})

    def factory(**overrides: Any) -> TeamDynamixSink:
        config = TeamDynamixConfig.model_validate({**sandbox.instance_config(), **overrides})
        made.append(TeamDynamixSink(config, instance="teamdynamix"))
        return made[-1]

    yield factory
    for sink in made:
        sink.close()
    sandbox.faults.clear()
    sandbox.admin("set_rate_limit", {"limit": 60, "window_seconds": 60})
