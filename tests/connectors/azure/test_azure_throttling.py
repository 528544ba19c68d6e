"""Throttling and transient failures: 429 with Retry-After and 5xx are retried by azure-core; a
429 that persists becomes a resumable TransientError; Resource Graph's user quota and ARM's read
bucket headers make the client wait instead of collecting 429s."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.azure.client import _hms_seconds
from connectors.azure.sandbox import AzureSandbox
from connectors.azure.sandbox.graph import _hms
from core.errors import TransientError
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import ServerError, Throttle
from core.testing.contract_kit import read_all
from tests.connectors.azure.support import Connect, read_stream, start_sandbox


def test_a_429_with_retry_after_on_a_resources_page_is_waited_out(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    connector = connect(fresh_sandbox, page_size=20)
    stream = connector.stream("resources")
    partition = stream.partitions()[0]
    fault = Throttle(path=r"/resources$", after=1, times=1, retry_after=1)
    fresh_sandbox.arm(fault)

    records, _, _ = read_all(stream, None, partition)

    assert fault.times == 0
    assert len(records) == fresh_sandbox.estate.live_count(0)


def test_a_503_from_resource_graph_is_retried(fresh_sandbox: AzureSandbox, connect: Connect) -> None:
    fault = ServerError(path="ResourceGraph", after=1, times=1, status=503)
    fresh_sandbox.arm(fault)

    records = read_stream(
        connect(fresh_sandbox, resource_listing="resource_graph", page_size=50), "resources"
    )

    assert fault.times == 0
    assert len(records) == 202


def test_throttling_that_outlasts_the_retries_is_a_transient_error_with_its_wait(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    connector = connect(fresh_sandbox, max_retries=1)
    stream = connector.stream("resources")
    partition = stream.partitions()[0]
    fresh_sandbox.arm(Throttle(path=r"/resources$", times=5, retry_after=1))

    with pytest.raises(TransientError, match="429") as failure:
        read_all(stream, None, partition)

    assert failure.value.retry_after == 1.0


def test_resource_graph_quota_headers_pace_the_queries_without_a_single_429(
    sandbox_ca: SandboxCA, tmp_path: Path, connect: Connect
) -> None:
    sandbox = start_sandbox(sandbox_ca, tmp_path / "azure", graph_quota=3, graph_window_seconds=1.0)
    try:
        records = read_stream(connect(sandbox, resource_listing="resource_graph", page_size=20), "resources")
    finally:
        sandbox.stop()

    assert len(records) == 202, "11 pages through a quota of 3 queries a second"
    assert sandbox.graph_api.quota.rejected == 0, "the client waited for x-ms-user-quota-resets-after"


def test_arm_read_headers_pace_the_pages_without_a_single_429(
    sandbox_ca: SandboxCA, tmp_path: Path, connect: Connect
) -> None:
    sandbox = start_sandbox(sandbox_ca, tmp_path / "azure", resource_count=60, arm_read_bucket=(2, 4.0))
    try:
        records = read_stream(connect(sandbox, page_size=5), "resources")
    finally:
        sandbox.stop()

    assert len(records) == 62, "four pages per subscription through a bucket of two reads"
    assert sum(b.rejected for b in sandbox.arm_api.buckets.values()) == 0


@pytest.mark.parametrize(
    ("header", "seconds"), [("00:00:03", 3.0), ("00:01:00", 60.0), ("01:00:05", 3605.0), ("soon", 1.0)]
)
def test_quota_reset_durations_are_read_as_hours_minutes_seconds(header: str, seconds: float) -> None:
    assert _hms_seconds(header) == seconds


def test_the_sandbox_writes_reset_durations_the_client_reads() -> None:
    for seconds in (0.2, 1.0, 4.5, 59.9, 3600.0):
        assert _hms_seconds(_hms(seconds)) >= seconds
