"""`make bench`: every `tests/bench/bench_*.py` in its own process, one table of figures.

A bench module defines `run(bench)` and measures cases:

    with bench.case("store: upsert 100,000 new records") as case:
        ...
        case.records = 100_000
        case.extra["requests"] = 12
        case.floor = floor_seconds  # the same work at the machine's floor, measured in this run

A case with a floor is printed beside it with their ratio ("x floor"). Each module runs in a fresh interpreter so its peak RSS is its own.
"""

from core.bench.runner import Bench, Case

__all__ = ["Bench", "Case"]
