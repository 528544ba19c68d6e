"""Azure connector throughput: 200,000 resources read through Resource Graph (one query, 1,000
rows a page) and through ARM's per-subscription listing (40 subscriptions, 1,000 a page);
records/s, pages, and peak RSS of the reading process.

The sandbox tenant runs in a child process, so the reader's RSS and CPU are its own (the
tenant's peak RSS is reported beside it). Its Resource Graph quota is relaxed to 1,000 queries
per window: the real default of 15 queries per 5 seconds alone floors 200 pages at about 67 s,
which `quota_floor_s` reports. `HUB_BENCH_AZURE_RESOURCES` sets the size (default 200,000).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from connectors.azure.config import AzureConfig
from connectors.azure.connector import AzureConnector
from connectors.azure.sandbox import AzureSandbox
from core.bench import Bench
from core.sandbox.ca import SandboxCA
from core.testing.reading import tally_partitions

RESOURCES = int(os.environ.get("HUB_BENCH_AZURE_RESOURCES", "200000"))
REAL_QUOTA_QUERIES, REAL_QUOTA_SECONDS = 15, 5.0


def _serve(directory: str, resources: int, channel: Connection) -> None:
    """Child process: run the tenant until told to stop, then report its peak RSS (MB)."""
    sandbox = AzureSandbox(
        seed=7,
        scale=500,
        resource_count=resources,
        graph_quota=1000,
        ca=SandboxCA(Path(directory)),
        workdir=Path(directory) / "azure",
    )
    with sandbox:
        channel.send(sandbox.instance_config())
        channel.recv()
    channel.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _read(connector: AzureConnector) -> tuple[int, int]:
    """(records, partitions) of a full read of the resources stream."""
    return tally_partitions(connector.stream("resources"))


def run(bench: Bench) -> None:
    context = multiprocessing.get_context("fork")  # the module is loaded from a file path, not importable
    ours, theirs = context.Pipe()
    with tempfile.TemporaryDirectory() as tmp:
        child = context.Process(target=_serve, args=(tmp, RESOURCES, theirs), daemon=True)
        child.start()
        config: dict[str, Any] = ours.recv()
        try:
            for listing in ("resource_graph", "arm"):
                connector = AzureConnector(
                    AzureConfig.model_validate({**config, "resource_listing": listing, "page_size": 1000}),
                    instance="azure",
                )
                label = (
                    "Resource Graph, one query" if listing == "resource_graph" else "ARM, per subscription"
                )
                with bench.case(f"azure resources read: {label} ({RESOURCES:,})") as case:
                    case.records, partitions = _read(connector)
                    case.extra["partitions"] = partitions
                    case.extra["pages"] = -(-case.records // 1000)
                    if listing == "resource_graph":
                        pages = case.extra["pages"]
                        case.extra["quota_floor_s"] = round(pages / REAL_QUOTA_QUERIES * REAL_QUOTA_SECONDS)
                connector.close()
        finally:
            ours.send("stop")
            sandbox_rss = ours.recv()
            child.join(timeout=30)
    print(f"azure sandbox (child process) peak RSS: {sandbox_rss:.0f} MB")
