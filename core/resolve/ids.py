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
import uuid

_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, counter within them) of the last id made


def new_entity_id() -> str:
    """A new entity's id: unique, and after every id this process made before."""
    global _last
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
    random_bits = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | random_bits
    return str(uuid.UUID(int=value))
