"""Every registered source connector with a sandbox passes every check of the contract kit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from core.sandbox.ca import SandboxCA
from core.testing.contract_kit import (
    SOURCE_CHECKS,
    KitContext,
    NotApplicable,
    kit_context,
    source_connectors_with_sandbox,
)

CONNECTORS = source_connectors_with_sandbox()


@pytest.fixture(scope="module", params=CONNECTORS, ids=[name for name, _ in CONNECTORS])
def kit(
    request: pytest.FixtureRequest, sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KitContext]:
    name, cls = request.param
    yield from kit_context(cls, sandbox_ca, tmp_path_factory.mktemp(f"kit-{name}") / name)


@pytest.mark.parametrize("check", SOURCE_CHECKS, ids=[c.__name__ for c in SOURCE_CHECKS])
def test_contract(kit: KitContext, check: Callable[[KitContext], None]) -> None:
    try:
        check(kit)
    except NotApplicable as why:
        pytest.skip(str(why))
