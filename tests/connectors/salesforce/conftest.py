"""A Salesforce sandbox over HTTPS per module, and sinks configured against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.salesforce.sink import SalesforceSink
from core.connector.sink import TicketPayload
from core.sandbox.ca import SandboxCA


@pytest.fixture(scope="module")
def org(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SalesforceSandbox]:
    sandbox = SalesforceSandbox(seed=7, scale=40, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("sf") / "sf")
    with sandbox:
        yield sandbox


@pytest.fixture
def make_sink(org: SalesforceSandbox) -> Iterator[Callable[..., SalesforceSink]]:
    made: list[SalesforceSink] = []

    def make(**overrides: Any) -> SalesforceSink:
        config = SalesforceConfig.model_validate({**org.instance_config(), **overrides})
        sink = SalesforceSink(config, instance="salesforce")
        made.append(sink)
        return sink

    yield make
    org.faults.clear()
    for sink in made:
        sink.close()


@pytest.fixture
def sink(make_sink: Callable[..., SalesforceSink]) -> SalesforceSink:
    return make_sink()


_serial = iter(range(1, 10_000))


@pytest.fixture
def new_ticket() -> Callable[..., TicketPayload]:
    return make_ticket


def make_ticket(label: str = "joiner", **changes: Any) -> TicketPayload:
    """An onboarding ticket as the outbox sends it, with a fresh idempotency key."""
    employee_id = f"E{20000 + next(_serial)}"
    base = TicketPayload(
        key=f"{employee_id}:{label}:2026-04-06",
        type="onboarding",
        title=f"Onboard Søren Ñúñez ({employee_id})",
        description="Starts Monday 6 April at City Hall, Finance.",
        priority="normal",
        due="2026-04-06T08:00:00-05:00",
        employee_id=employee_id,
        person_name="Søren Ñúñez",
        assignment_group="IT Service Desk",
        state="open",
        tasks=[
            {"title": "Create directory account", "state": "open"},
            {"title": "Issue laptop AT-100042", "state": "open"},
        ],
    )
    return TicketPayload(**{**base, **changes})  # type: ignore[typeddict-item]
