"""One AWS sandbox (moto over HTTPS, IAM enforced) for the AWS tests, and connectors against it.

moto keeps its state per process, so the tenant is package-scoped: started once for these
modules and stopped before any other test (the contract kit starts its own). Tests that mutate
it create their own users and resources; faults are cleared after every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.aws.config import AwsConfig
from connectors.aws.connector import AwsConnector
from connectors.aws.sandbox import AwsSandbox
from core.sandbox.ca import SandboxCA

from .support import ConnectorFactory

SCALE = 60  # six member accounts + the management account: more than one page of ListAccounts at page size 5


@pytest.fixture(scope="package")
def aws(sandbox_ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsSandbox]:
    sandbox = AwsSandbox(seed=7, scale=SCALE, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("aws") / "aws")
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(autouse=True)
def _faults_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "aws" in request.fixturenames:
        request.getfixturevalue("aws").faults.clear()


@pytest.fixture
def connect(aws: AwsSandbox) -> Iterator[ConnectorFactory]:
    """connect(**overrides) -> an AwsConnector on the sandbox's instance_config() plus overrides."""
    made: list[AwsConnector] = []

    def make(base: dict[str, Any] | None = None, **overrides: Any) -> AwsConnector:
        config = AwsConfig.model_validate({**(base or aws.instance_config()), **overrides})
        connector = AwsConnector(config, instance="test-aws")
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()
