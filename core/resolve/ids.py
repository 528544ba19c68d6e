"""Ids of new canonical entities: UUIDs whose leading bits are the time they were made (RFC 9562
version 7), in increasing order within a process.

Why: every new entity's id goes into several B-tree indexes (the entity's primary key, its links,
match keys and change-log rows by entity). Random (version 4) ids land all over each index, so a
first load touches a different page for almost every row; ids made in order append to the same
few pages. They are still UUIDs of the same text form: nothing reads meaning into them.
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, counter within them) of the last id made
#: random bytes drawn from the OS 8 KiB at a time (one system call per 1,024 ids, not per id)
_POOL_BYTES = 8192
_pool = b""
_taken = _POOL_BYTES


def _fresh_pool_in_child() -> None:
    """A forked process must not draw the bytes its parent will draw too."""
    global _pool, _taken
    _pool, _taken = b"", _POOL_BYTES


os.register_at_fork(after_in_child=_fresh_pool_in_child)


def new_entity_id() -> str:
    """A new entity's id: unique, and after every id this process made before."""
    global _last, _pool, _taken
    with _lock:
        now = time.time_ns() // 1_000_000
        millis, counter = _last
        if now > millis:
            millis, counter = now, 0
        else:  # the same millisecond (or the clock went back): count on within the last one
            counter += 1
            if counter > 0xFFF:
                millis, counter = millis + 1, 0
        _last = (millis, counter)
        if _taken >= _POOL_BYTES:
            _pool, _taken = os.urandom(_POOL_BYTES), 0
        random_bits = int.from_bytes(_pool[_taken : _taken + 8], "big") & ((1 << 62) - 1)
        _taken += 8
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | random_bits
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"  # str(uuid.UUID(int=value)), cheaper
