"""Stage locks: `resolve`, `evaluate` and `deliver` each run once at a time per store, and so
does the sync of one stream partition (`sync workday/workers`).

Why: two runners of one stage (`hub run` in a shell beside the Airflow task, two workers) would
read the same unresolved records, change-log rows or outbox intents and race each other. Every
caller (the CLI, Airflow tasks, the scenario runner) goes through the stage functions, and they
take the lock themselves, so all of them share it.

- PostgreSQL: a session advisory lock on a connection kept open for the stage. The server frees
  it when that session ends, however the process died (SIGKILL included). The `stage_locks` row
  only tells a waiter who holds the stage.
- SQLite: the `stage_locks` row is the lock, taken in `BEGIN IMMEDIATE`. Its holder renews a lease
  while the stage runs. A row whose process is gone from this host, or whose lease lapsed (a
  holder on another host that stopped renewing), is taken over.

A runner that cannot get a stage within `store.lock_wait_seconds` raises `StageBusy` naming the
holder (host, pid, Airflow run) and since when; the CLI exits with code 7.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import sqlalchemy as sa

from core.bulk_gc import fewer_collections
from core.errors import HubError
from core.store.schema import stage_locks
from core.vocabulary import Stage

if TYPE_CHECKING:
    from core.hub import Hub
    from core.store.engine import Store

log = logging.getLogger("hub.locks")

#: how often a waiter asks again
POLL_SECONDS = 0.25
#: SQLite: how long taking the lock row waits for another writer (the store's own wait is longer)
BUSY_MILLISECONDS = 1000
STORE_BUSY_MILLISECONDS = 30000  # as `core/store/engine.py` sets it


class StageBusy(HubError):
    """Another runner held the stage for longer than this one would wait."""

    kind = "busy"


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    airflow_run_id: str | None
    acquired_at: datetime

    def describe(self) -> str:
        if not self.pid:
            return f"{self.host} (no holder recorded)"
        run = f" (Airflow run {self.airflow_run_id})" if self.airflow_run_id else ""
        return f"pid {self.pid} on {self.host}{run} since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


def row_key(name: str) -> str:
    """The `stage_locks` key of a lock name: the name itself, or a stable digest of a long one (a
    sync lock names its instance, stream and partition)."""
    if len(name) <= 30:
        return name
    return f"{name[:17]}#{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def _now() -> datetime:
    """Wall-clock time: leases are about real processes, not the hub's (travelling) business clock."""
    return datetime.now(UTC)


def airflow_run_id() -> str | None:
    """The Airflow DAG run this process works for (Airflow exports it to task processes)."""
    return os.environ.get("AIRFLOW_CTX_DAG_RUN_ID") or None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


class _StageLock:
    """One acquisition of one stage; `acquire` returns None when taken, else the current holder."""

    def __init__(self, store: Store, stage: str, lease_seconds: float) -> None:
        self.store = store
        self.stage = row_key(stage)
        self.lease = timedelta(seconds=lease_seconds)
        self.token = str(uuid.uuid4())
        self.host = socket.gethostname()
        self.pid = os.getpid()

    def _row(self, now: datetime) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "token": self.token,
            "host": self.host,
            "pid": self.pid,
            "airflow_run_id": airflow_run_id(),
            "acquired_at": now,
            "lease_until": now + self.lease,
        }

    def holder(self, conn: sa.Connection) -> Holder | None:
        row = conn.execute(sa.select(stage_locks).where(stage_locks.c.stage == self.stage)).first()
        if row is None:
            return None
        return Holder(row.host, row.pid, row.airflow_run_id, row.acquired_at)

    def acquire(self) -> Holder | None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Give up waiting (nothing held)."""


class _PostgresLock(_StageLock):
    def __init__(self, store: Store, stage: str, lease_seconds: float) -> None:
        super().__init__(store, stage, lease_seconds)
        digest = hashlib.sha256(f"itsm-hub/stage/{stage}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self.session: sa.Connection | None = None

    def acquire(self) -> Holder | None:
        if self.session is None:
            self.session = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if self.session.scalar(sa.select(sa.func.pg_try_advisory_lock(self.key))):
            with self.store.engine.begin() as conn:
                conn.execute(stage_locks.delete().where(stage_locks.c.stage == self.stage))
                conn.execute(stage_locks.insert().values(self._row(_now())))
            return None
        with self.store.engine.connect() as conn:
            return self.holder(conn) or Holder("another session", 0, None, _now())

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def release(self) -> None:
        if self.session is None:
            return
        try:
            with self.store.engine.begin() as conn:
                conn.execute(stage_locks.delete().where(stage_locks.c.token == self.token))
            self.session.scalar(sa.select(sa.func.pg_advisory_unlock(self.key)))
        finally:
            self.session.close()  # ending the session frees the lock even if the unlock failed
            self.session = None


class _SqliteLock(_StageLock):
    def __init__(self, store: Store, stage: str, lease_seconds: float) -> None:
        super().__init__(store, stage, lease_seconds)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _abandoned(self, holder: Any, now: datetime) -> bool:
        if holder.host == self.host:
            return not _pid_alive(holder.pid)
        return bool(holder.lease_until < now)

    def acquire(self) -> Holder | None:
        try:
            return self._acquire()
        except sa.exc.OperationalError as exc:  # another writer kept the store past busy_timeout
            log.debug("stage %s: store busy (%s)", self.stage, exc)
            with self.store.engine.connect() as conn:
                return self.holder(conn) or Holder("a writer busy with the store", 0, None, _now())

    def _acquire(self) -> Holder | None:
        now = _now()
        with self.store.engine.connect() as conn:
            # a writer busy for long (another stage) answers "busy" within a poll, not 30 s
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_MILLISECONDS}")
            try:
                return self._decide(conn, now)
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={STORE_BUSY_MILLISECONDS}")

    def _decide(self, conn: sa.Connection, now: datetime) -> Holder | None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer decides, no lost update
        row = conn.execute(sa.select(stage_locks).where(stage_locks.c.stage == self.stage)).first()
        if row is not None and not self._abandoned(row, now):
            conn.rollback()
            return Holder(row.host, row.pid, row.airflow_run_id, row.acquired_at)
        if row is not None:
            log.warning(
                "stage %s: taking over from pid %s on %s, which is gone", self.stage, row.pid, row.host
            )
        conn.execute(stage_locks.delete().where(stage_locks.c.stage == self.stage))
        conn.execute(stage_locks.insert().values(self._row(now)))
        conn.commit()
        self._renewer = threading.Thread(target=self._renew, name=f"hub-lock-{self.stage}", daemon=True)
        self._renewer.start()
        return None

    def _renew(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 1.0)
        while not self._stop.wait(interval):
            try:
                with self.store.engine.begin() as conn:
                    renewed = conn.execute(
                        stage_locks.update()
                        .where(stage_locks.c.stage == self.stage, stage_locks.c.token == self.token)
                        .values(lease_until=_now() + self.lease)
                    ).rowcount
                if not renewed:
                    log.error("stage %s: the lock was taken over while this runner held it", self.stage)
                    return
            except sa.exc.OperationalError as exc:  # the store is busy: try again next interval
                log.debug("stage %s: lease not renewed (%s)", self.stage, exc)

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with self.store.engine.begin() as conn:
            conn.execute(
                stage_locks.delete().where(
                    stage_locks.c.stage == self.stage, stage_locks.c.token == self.token
                )
            )


_held = threading.local()


def _held_stages() -> set[tuple[int, str]]:
    if not hasattr(_held, "stages"):
        _held.stages = set()
    stages: set[tuple[int, str]] = _held.stages
    return stages


def stage_held(engine: sa.Engine, stage: str) -> bool:
    """Whether this thread holds `stage` on the store behind `engine` (writers that rely on being
    the stage's only runner check it)."""
    return (id(engine), stage) in _held_stages()


@contextmanager
def stage_lock(
    store: Store, stage: str, *, wait_seconds: float, lease_seconds: float = 300
) -> Iterator[None]:
    """Hold `stage` on `store` for the block; wait up to `wait_seconds`, else raise `StageBusy`.

    Re-entrant within one thread (a stage that calls itself does not wait on itself)."""
    mine = (id(store.engine), stage)
    if mine in _held_stages():
        yield
        return
    cls = _PostgresLock if store.dialect == "postgresql" else _SqliteLock
    lock = cls(store, stage, lease_seconds)
    deadline = time.monotonic() + wait_seconds
    logged = False
    while (holder := lock.acquire()) is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            lock.close()
            raise StageBusy(
                f"stage {stage} is busy: held by {holder.describe()}; stopped waiting for it after "
                f"{wait_seconds:g} s (store.lock_wait_seconds in hub.yaml)"
            )
        if not logged:
            log.info("stage %s: waiting for %s", stage, holder.describe())
            logged = True
        time.sleep(min(POLL_SECONDS, remaining))
    _held_stages().add(mine)
    try:
        yield
    finally:
        _held_stages().discard(mine)
        lock.release()


P = ParamSpec("P")
R = TypeVar("R")


def locked_stage(stage: Stage) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the decorated stage function (its first argument is the hub) under `stage`'s lock,
    with fewer garbage collections (`core.bulk_gc`: a stage keeps many objects a chunk at a time)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            hub: Hub = args[0]  # type: ignore[assignment]
            settings = hub.config.store
            with (
                stage_lock(
                    hub.store,
                    stage,
                    wait_seconds=settings.lock_wait_seconds,
                    lease_seconds=settings.lock_lease_seconds,
                ),
                fewer_collections(),
            ):
                return fn(*args, **kwargs)

        return locked

    return wrap
