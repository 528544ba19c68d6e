"""Fewer cyclic garbage collections while a bulk stage builds many objects it keeps.

CPython collects its youngest generation after every 700 net container allocations, and each
collection that reaches the oldest generation walks every tracked object of the process: the
imported libraries' and everything the stage holds. Resolution and evaluation allocate a few
dicts and tuples per record and keep many of them to the end of a chunk or the pass, so a 20,000
worker evaluation ran 8 full collections; with a youngest threshold of 50,000 it runs one. The
stage's own garbage is almost all freed by reference counting, so collections only find the rare
cycle, and they still run, just less often. The previous thresholds come back when the stage ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: net container allocations between collections of the youngest generation during a bulk stage
BULK_THRESHOLD = 50_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the youngest generation's threshold for the block (never lower it)."""
    before = gc.get_threshold()
    if before[0] == 0 or before[0] >= BULK_THRESHOLD:  # disabled or already raised by the host
        yield
        return
    gc.set_threshold(BULK_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
