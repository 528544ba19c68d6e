"""Fixtures: a Jira Service Management sandbox site over HTTPS and sinks pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.jira_sm.config import JiraServiceManagementConfig
from connectors.jira_sm.sandbox import JiraSandbox
from connectors.jira_sm.sink import JiraServiceManagementSink
from core.sandbox.ca import SandboxCA


@pytest.fixture(scope="module")
def sandbox(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JiraSandbox]:
    running = JiraSandbox(seed=7, scale=30, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("jira") / "jira")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def make_sink(sandbox: JiraSandbox) -> Iterator[Callable[..., JiraServiceManagementSink]]:
    """make_sink(**config overrides) -> a sink on the sandbox, closed after the test."""
    made: list[JiraServiceManagementSink] = []

    def factory(**overrides: Any) -> JiraServiceManagementSink:
        config = JiraServiceManagementConfig.model_validate({**sandbox.instance_config(), **overrides})
        made.append(JiraServiceManagementSink(config, instance="jira_sm"))
        return made[-1]

    yield factory
    for sink in made:
        sink.close()
    sandbox.faults.clear()
    sandbox.admin("set_rate_limit", {})
