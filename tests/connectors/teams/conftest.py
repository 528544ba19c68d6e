"""A Teams workflow webhook sandbox over HTTPS, and notifiers pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.teams.config import TeamsConfig
from connectors.teams.notifier import TeamsNotifier
from connectors.teams.sandbox import TeamsSandbox
from core.sandbox.ca import SandboxCA


@pytest.fixture
def channel(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[TeamsSandbox]:
    sandbox = TeamsSandbox(seed=7, ca=sandbox_ca, workdir=tmp_path / "teams")
    with sandbox:
        yield sandbox


@pytest.fixture
def make_notifier(channel: TeamsSandbox) -> Iterator[Callable[..., TeamsNotifier]]:
    made: list[TeamsNotifier] = []

    def make(**overrides: Any) -> TeamsNotifier:
        config = TeamsConfig.model_validate({**channel.instance_config(), **overrides})
        notifier = TeamsNotifier(config, instance="teams")
        made.append(notifier)
        return notifier

    yield make
    for notifier in made:
        notifier.close()
