"""AWS connector throughput: the inventory of 10 accounts x 3 regions (a few thousand resources)
read service by service and through the Config aggregator, plus the IAM users of every account;
records/s, API calls made (retries included), and peak RSS of the reading process.

The sandbox (moto behind the hub's HTTPS front, IAM policies enforced) runs in a child process,
so the reader's RSS and CPU are its own; moto's own cost per call (it serializes every response
through botocore's service model) dominates the wall time and is reported as `ms_per_call`.
`HUB_BENCH_AWS_SCALE` (people, default 300) and `HUB_BENCH_AWS_PER_PERSON` (resource picks per
person, default 8) set the size.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from connectors.aws.config import AwsConfig
from connectors.aws.connector import AwsConnector
from core.bench import Bench
from core.sandbox.ca import SandboxCA
from core.testing.reading import tally_partitions

SCALE = int(os.environ.get("HUB_BENCH_AWS_SCALE", "300"))
PER_PERSON = float(os.environ.get("HUB_BENCH_AWS_PER_PERSON", "8"))


def _serve(directory: str, channel: Connection) -> None:
    """Child process: seed and run the tenant, answering "rss" with its peak RSS (MB), until "stop"."""
    from connectors.aws.sandbox import AwsSandbox  # moto is imported by the tenant's process only

    started = time.perf_counter()
    sandbox = AwsSandbox(
        seed=7,
        scale=SCALE,
        resources_per_person=PER_PERSON,
        ca=SandboxCA(Path(directory)),
        workdir=Path(directory) / "aws",
    )
    with sandbox:
        assert sandbox.estate is not None
        channel.send(
            {
                "services": sandbox.instance_config(),
                "aggregator": sandbox.aggregator_config(),
                "seeded_resources": sandbox.estate.resources,
                "seed_seconds": round(time.perf_counter() - started, 1),
            }
        )
        while channel.recv() == "rss":
            channel.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _read(connector: AwsConnector, stream_name: str) -> tuple[int, int]:
    """(records, partitions) of a full read of one stream."""
    return tally_partitions(connector.stream(stream_name))


def _case(bench: Bench, name: str, config: dict[str, Any], stream: str, tenant: Connection) -> None:
    connector = AwsConnector(AwsConfig.model_validate(config), instance="bench")
    try:
        with bench.case(name) as case:
            started = time.perf_counter()
            records, partitions = _read(connector, stream)
            seconds = time.perf_counter() - started
            calls = connector.calls.total
            tenant.send("rss")
            case.records = records
            case.extra.update(
                partitions=partitions,
                api_calls=calls,
                records_per_call=round(records / calls, 1) if calls else 0,
                ms_per_call=round(1000 * seconds / calls, 1) if calls else 0,
                calls_by_operation=dict(sorted(connector.calls.counts.items())),
                sandbox_peak_rss_mb=round(tenant.recv(), 1),
            )
    finally:
        connector.close()


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as directory:
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.Process(target=_serve, args=(directory, child), daemon=True)
        server.start()
        tenant = parent.recv()
        print(f"aws sandbox seeded {tenant['seeded_resources']} resources in {tenant['seed_seconds']}s")
        services, aggregator = tenant["services"], tenant["aggregator"]
        try:
            _case(
                bench,
                "aws resources read, per service (10 accounts x 3 regions)",
                services,
                "resources",
                parent,
            )
            _case(
                bench,
                "aws resources read, Config aggregator (10 accounts x 3 regions)",
                aggregator,
                "resources",
                parent,
            )
            _case(bench, "aws iam_users read, credential report (10 accounts)", services, "iam_users", parent)
            per_user = {**services, "iam_source": "per_user"}
            _case(bench, "aws iam_users read, per user (10 accounts)", per_user, "iam_users", parent)
        finally:
            parent.send("stop")
            server.join(timeout=30)
