"""Every registered ticket sink with a sandbox passes every check of the sink contract kit, and the
delivery checks under faults and concurrent deliverers (`core.testing.sink_fault_checks`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from core.sandbox.ca import SandboxCA
from core.testing.sink_fault_checks import FAULT_CHECKS
from core.testing.sink_kit import SINK_CHECKS, SinkKitContext, sink_kit_context, sinks_with_sandbox

SINKS = sinks_with_sandbox()
CHECKS = SINK_CHECKS + FAULT_CHECKS


@pytest.fixture(scope="module", params=SINKS, ids=[name for name, _ in SINKS])
def kit(
    request: pytest.FixtureRequest, sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SinkKitContext]:
    name, cls = request.param
    yield from sink_kit_context(cls, sandbox_ca, tmp_path_factory.mktemp(f"sink-kit-{name}"))


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_sink_contract(kit: SinkKitContext, check: Callable[[SinkKitContext], None]) -> None:
    check(kit)
