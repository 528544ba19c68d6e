"""The floor a staging figure is read against: the same records hashed, encoded and upserted by
the database driver alone into a bare keyed table, in the same process and run.

It is what staging could cost with no hub around it (no ledger, no quarantine, no SQLAlchemy):
a bench prints each case's seconds beside the floor's and their ratio, so a figure taken on a busy
machine still says how far the hub is from what the machine can do.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.store.encoding import content_hash, json_text
from core.store.engine import SQLITE_PAGE_SIZE

Batch = list[tuple[str, dict[str, Any], dict[str, Any] | None]]

_TABLE = "CREATE TABLE IF NOT EXISTS floor (k TEXT PRIMARY KEY, h TEXT NOT NULL, payload TEXT, fragment TEXT)"
_UPSERT = (
    "INSERT INTO floor (k, h, payload, fragment) VALUES ({p}, {p}, {p}, {p}) "
    "ON CONFLICT (k) DO UPDATE SET h = excluded.h, payload = excluded.payload, "
    "fragment = excluded.fragment WHERE floor.h <> excluded.h"
)


@dataclass(frozen=True)
class Floor:
    """A floor's wall seconds and the process's CPU seconds over the same span."""

    seconds: float
    cpu: float
    #: rows the floor wrote (where it says)
    rows: int = 0

    def into(self, case: Any) -> None:
        """Set a bench case's floor to this one."""
        case.floor, case.floor_cpu = self.seconds, self.cpu


class Stopwatch:
    """Wall and process CPU time from its creation to `stop()`."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> Floor:
        return Floor(time.perf_counter() - self.wall, time.process_time() - self.cpu)


class RowsWritten:
    """Rows an engine's statements insert, update or delete (SQLAlchemy's rowcount, summed)."""

    def __init__(self, engine: Any) -> None:
        import sqlalchemy as sa

        self.rows = 0
        sa.event.listen(engine, "after_cursor_execute", self._count)

    def _count(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE") and cursor.rowcount > 0:
            self.rows += cursor.rowcount


def forked(measure: Callable[[], Floor], timeout: float = 3600) -> Floor:
    """`measure()` run in a forked copy of this process: the same moment, machine and records,
    but the floor's memory does not count in the bench process's peak RSS. The copy times itself
    (wall, and its own CPU) and leaves by `os._exit`, touching nothing the parent holds open."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        status = 1
        try:
            floor = measure()
            os.write(write_end, json.dumps([floor.seconds, floor.cpu, floor.rows]).encode())
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        # a copy forked while another thread held a lock (a sandbox serving in this process) could
        # wait forever: it is given up on rather than hanging the bench
        if not select.select([pipe], [], [], timeout)[0]:
            os.kill(pid, signal.SIGKILL)
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not answer:
        raise RuntimeError(f"the floor's process failed (wait status {status})")
    seconds, cpu, rows = json.loads(answer)
    return Floor(seconds, cpu, rows)


def _rows(batch: Batch) -> list[tuple[str, str, str, str]]:
    return [(k, content_hash(p, f), json_text(p), json_text(f)) for k, p, f in batch]


def sqlite_floor(path: Path, batches: Callable[[], Iterable[Batch]]) -> Floor:
    """Seconds to hash, encode and upsert every batch into SQLite (WAL, a commit per batch)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # the hub's own page size
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(_TABLE)
    watch = Stopwatch()
    for batch in batches():
        conn.execute("BEGIN")
        conn.executemany(_UPSERT.format(p="?"), _rows(batch))
        conn.execute("COMMIT")
    floor = watch.stop()
    conn.close()
    return floor


def postgres_floor(url: str, batches: Callable[[], Iterable[Batch]]) -> Floor:
    """Seconds to hash, encode and upsert every batch into PostgreSQL (psycopg's executemany,
    a commit per batch). The table stays, so a second call upserts unchanged rows."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(_TABLE.replace("payload TEXT, fragment TEXT", "payload JSONB, fragment JSONB"))
        conn.commit()
        watch = Stopwatch()
        for batch in batches():
            with conn.cursor() as cursor:
                cursor.executemany(_UPSERT.format(p="%s"), _rows(batch))
            conn.commit()
        floor = watch.stop()
    return floor


def batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
