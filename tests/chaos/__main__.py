"""Run the chaos trials and print the table; exit 1 on any defect.

Settings (environment): CHAOS_TRIALS (per store, default 30), CHAOS_SEED (default 16),
CHAOS_STORES (default sqlite,postgresql), CHAOS_WAVES (change waves per trial, default 2).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from tests.chaos.trial import STAGES, TrialResult, run_trial


def summary_table(results: list[TrialResult], stores: list[str]) -> Table:
    table = Table(title="chaos trials", title_justify="left")
    columns = ["store", "trials", *(f"kills {s}" for s in STAGES), "missed", "2 runners"]
    columns += ["faults", "tickets", "duplicates", "missing", "digest mismatches", "seconds"]
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
            str(sum(r.tickets for r in mine)),
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


def main() -> int:
    trials = int(os.environ.get("CHAOS_TRIALS", "30"))
    seed = int(os.environ.get("CHAOS_SEED", "16"))
    waves = int(os.environ.get("CHAOS_WAVES", "2"))
    stores = [s.strip() for s in os.environ.get("CHAOS_STORES", "sqlite,postgresql").split(",") if s.strip()]
    console = Console(width=160)
    console.print(f"chaos: {trials} trials per store on {', '.join(stores)}, seed {seed}, {waves} waves each")
    results: list[TrialResult] = []
    started = time.monotonic()
    for store in stores:
        for index in range(trials):
            result = run_trial(store, index, seed, waves=waves)
            results.append(result)
            kills = ", ".join(f"{s} {n}" for s, n in sorted(result.kills.items())) or "none"
            verdict = "[red]DEFECT[/]" if result.defects else "ok"
            console.print(
                f"{store} trial {index + 1}/{trials}: kills {kills}; faults {sum(result.faults.values())}; "
                f"tickets {result.tickets}; {verdict} ({result.seconds:.0f} s)",
                highlight=False,
            )
            for detail in result.details[:10]:
                console.print(f"  {detail}", highlight=False, markup=False)
    console.print(summary_table(results, stores))
    console.print(fault_table(results))
    defects = sum(r.defects for r in results)
    console.print(f"{len(results)} trials in {time.monotonic() - started:.0f} s: {defects} defects")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
