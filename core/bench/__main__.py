"""Run every benchmark module (or those named) and print one table."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from core.bench.runner import Bench, Case

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH_DIR = ROOT / "tests" / "bench"


def run_module(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))
    spec.loader.exec_module(module)
    module.run(Bench())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="module names (e.g. bench_store)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per module")
    args = parser.parse_args()
    if args.one:
        run_module(Path(args.one))
        return 0
    # the store's figures first: every other figure stands on them
    modules = sorted(BENCH_DIR.glob("bench_*.py"), key=lambda m: (m.stem != "bench_store", m.stem))
    if args.only:
        modules = [m for m in modules if m.stem in args.only or m.stem.removeprefix("bench_") in args.only]
    console = Console(width=max(220, Console().width))
    cases: list[Case] = []
    failures: list[str] = []
    for path in modules:
        console.print(f"[dim]running {path.stem}...[/]")
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "core.bench", "--one", str(path)],
                capture_output=True,
                text=True,
                timeout=args.timeout,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        except subprocess.TimeoutExpired:
            failures.append(f"{path.stem}: timed out after {args.timeout}s")
            continue
        for line in proc.stdout.splitlines():
            if line.startswith("BENCH "):
                cases.append(Case(**json.loads(line[6:])))
        if proc.returncode != 0:
            failures.append(f"{path.stem}: exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
        console.print(f"[dim]  {path.stem} took {time.monotonic() - started:.0f}s[/]")
    table = Table(title="itsm-hub benchmarks (2 cores; figures from this machine)", title_justify="left")
    columns = (
        "case",
        "records",
        "seconds",
        "CPU s",
        "records/s",
        "floor s",
        "floor CPU s",
        "x floor",
        "x floor CPU",
    )
    for column in (*columns, "peak RSS MB", "extra"):
        left = column in ("case", "extra")
        table.add_column(column, justify="left" if left else "right", overflow="fold", no_wrap=not left)
    for c in cases:
        extra = ", ".join(f"{k}={v}" for k, v in c.extra.items())
        table.add_row(
            c.name,
            f"{c.records:,}",
            f"{c.seconds:.2f}",
            f"{c.cpu_seconds:.2f}" if c.cpu_seconds else "-",
            f"{c.per_second:,.0f}",
            f"{c.floor:.2f}" if c.floor else "-",
            f"{c.floor_cpu:.2f}" if c.floor_cpu else "-",
            f"{c.over_floor:.2f}x" if c.over_floor else "-",
            f"{c.over_floor_cpu:.2f}x" if c.over_floor_cpu else "-",
            f"{c.peak_rss_mb:.0f}",
            extra,
        )
    console.print(table)
    for failure in failures:
        console.print(f"[red]failed[/] {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
