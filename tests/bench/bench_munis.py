"""MUNIS full loads through each transport: 50,000 fixed assets and about 20,000 employees read
over SFTP (CSV exports) and over SQL (reporting objects), records/s and peak RSS.

The sandbox (data, SQLite files, export files, SFTP server) runs in a child process, so the peak
RSS reported is the connector's own. `MUNIS_BENCH_SCALE`/`MUNIS_BENCH_ASSETS` shrink it for a trial.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from connectors.munis.config import MunisConfig
from connectors.munis.connector import MunisConnector
from core.bench import Bench
from core.testing.reading import tally

SCALE = int(os.environ.get("MUNIS_BENCH_SCALE", "21750"))  # about 20,000 on payroll (no contractors)
ASSETS = int(os.environ.get("MUNIS_BENCH_ASSETS", "50000"))


def _serve(workdir: str, pipe: Connection) -> None:
    """Child process: build and start the sandbox, send its configs, serve until told to stop."""
    from connectors.munis.sandbox import MunisSandbox
    from core.sandbox.ca import SandboxCA

    root = Path(workdir)
    sandbox = MunisSandbox(
        seed=7, scale=SCALE, assets=ASSETS, ca=SandboxCA(root / "ca"), workdir=root / "munis"
    )
    with sandbox:
        pipe.send(
            {
                "sftp": sandbox.instance_config(),
                "sql": sandbox.sql_config(incremental=False),
                "counts": {
                    "employees": len(sandbox.data.employees),
                    "fixed_assets": len(sandbox.data.assets),
                },
            }
        )
        pipe.recv()


def _read_all(config: dict[str, Any], stream: str) -> int:
    connector = MunisConnector(MunisConfig.model_validate(config), instance="bench")
    try:
        return tally(connector.stream(stream).read(None, {})).records
    finally:
        connector.close()


def run(bench: Bench) -> None:
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = context.Pipe()
        child = context.Process(target=_serve, args=(tmp, theirs), daemon=True)
        child.start()
        try:
            if not ours.poll(600):
                raise RuntimeError("the MUNIS sandbox did not start within 10 minutes")
            setup = ours.recv()
            for transport in ("sftp", "sql"):
                for stream in ("employees", "fixed_assets"):
                    expected = setup["counts"][stream]
                    with bench.case(f"munis {stream} read ({transport}, {expected:,} rows)") as case:
                        case.records = _read_all(setup[transport], stream)
                        case.extra["complete"] = case.records == expected
        finally:
            ours.send("stop")
            child.join(timeout=60)
