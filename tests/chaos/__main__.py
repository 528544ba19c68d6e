"""Run the chaos trials and print the table; exit 1 on any defect.

Settings (environment): CHAOS_TRIALS (per store, default 30), CHAOS_SEED (default 16),
CHAOS_STORES (default sqlite,postgresql), CHAOS_SERIES (trials that share one set of sandboxes
and stores, each a new wave of changes on top of the last; default 6).
"""

from __future__ import annotations

import os
import socketserver
import ssl
import sys
import time
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from tests.chaos.trial import STAGES, TrialResult, run_series


def summary_table(results: list[TrialResult], stores: list[str]) -> Table:
    table = Table(title="chaos trials", title_justify="left")
    columns = ["store", "trials", *(f"kills {s}" for s in STAGES), "missed", "2 runners"]
    columns += ["faults", "ticket keys", "duplicates", "missing", "digest mismatches", "seconds"]
    for column in columns:
        table.add_column(column, justify="right")
    for store in stores:
        mine = [r for r in results if r.store == store]
        kills: Counter[str] = sum((r.kills for r in mine), Counter())
        faults = sum(sum(r.faults.values()) for r in mine)
        table.add_row(
            store,
            str(len(mine)),
            *(str(kills[s]) for s in STAGES),
            str(sum(r.missed for r in mine)),
            str(sum(r.two_runners for r in mine)),
            str(faults),
            str(sum(r.new_tickets for r in mine)),
            str(sum(r.duplicates for r in mine)),
            str(sum(r.missing for r in mine)),
            str(sum(r.digest_mismatch for r in mine)),
            f"{sum(r.seconds for r in mine):.0f}",
        )
    return table


def fault_table(results: list[TrialResult]) -> Table:
    table = Table(title="faults fired", title_justify="left")
    table.add_column("fault")
    table.add_column("armed (waves)", justify="right")
    table.add_column("fired (requests)", justify="right")
    armed: Counter[str] = sum((r.armed for r in results), Counter())
    fired: Counter[str] = sum((r.faults for r in results), Counter())
    for label in sorted(armed):
        table.add_row(label, str(armed[label]), str(fired[label]))
    return table


def _quiet_killed_clients() -> None:
    """A runner killed mid-request leaves the sandbox writing to a closed socket: expected here,
    so that one error is not printed (any other still is)."""
    printed = socketserver.BaseServer.handle_error

    def handle_error(self: Any, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            printed(self, request, client_address)

    socketserver.BaseServer.handle_error = handle_error  # type: ignore[method-assign]


def _report(console: Console, result: TrialResult, trials: int) -> None:
    kills = ", ".join(f"{s} {n}" for s, n in sorted(result.kills.items())) or "none (finished first)"
    verdict = "[red]DEFECT[/]" if result.defects else "ok"
    console.print(
        f"{result.store} trial {result.trial + 1}/{trials}: kill {kills}; "
        f"{'two runners; ' if result.two_runners else ''}faults fired {sum(result.faults.values())}; "
        f"tickets so far {result.tickets}; {verdict} ({result.seconds:.0f} s)",
        highlight=False,
    )
    for detail in result.details[:10]:
        console.print(f"  {detail}", highlight=False, markup=False)


def main() -> int:
    _quiet_killed_clients()
    trials = int(os.environ.get("CHAOS_TRIALS", "30"))
    seed = int(os.environ.get("CHAOS_SEED", "16"))
    series_length = int(os.environ.get("CHAOS_SERIES", "6"))
    stores = [s.strip() for s in os.environ.get("CHAOS_STORES", "sqlite,postgresql").split(",") if s.strip()]
    console = Console(width=160)
    console.print(
        f"chaos: {trials} trials per store on {', '.join(stores)}, seed {seed}, {series_length} per world"
    )
    results: list[TrialResult] = []
    started = time.monotonic()
    try:
        for store in stores:
            for series in range((trials + series_length - 1) // series_length):
                count = min(series_length, trials - series * series_length)
                for result in run_series(store, series, seed, count):
                    results.append(result)
                    _report(console, result, trials)
    except KeyboardInterrupt:  # the figures of the trials that completed still count
        console.print("[yellow]interrupted[/]: the table covers the trials that completed")
    console.print(summary_table(results, stores))
    console.print(fault_table(results))
    defects = sum(r.defects for r in results)
    console.print(f"{len(results)} trials in {time.monotonic() - started:.0f} s: {defects} defects")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
