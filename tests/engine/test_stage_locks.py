"""Stage locks: one runner of resolve, evaluate or deliver at a time per store, on SQLite and
PostgreSQL; a second runner waits, then gives up naming the holder; a dead holder never blocks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config.hub_config import HubConfig
from core.hub import Hub
from core.store.engine import open_store
from core.store.locks import StageBusy, stage_lock
from core.store.schema import stage_locks
from tests.engine.staging import make_hub

HOLD_AND_WAIT = textwrap.dedent(
    """
    import sys, time
    from core.store.engine import open_store
    from core.store.locks import stage_lock
    store = open_store(sys.argv[1])
    with stage_lock(store, "deliver", wait_seconds=30):
        print("held", flush=True)
        time.sleep(600)
    """
)


def test_a_second_runner_waits_then_gives_up_naming_the_holder(store_url: str, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "scheduled__2026-12-07T04:00:00+00:00")
    store = open_store(store_url)
    entered = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with stage_lock(store, "resolve", wait_seconds=5):
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert entered.wait(30)
    with pytest.raises(StageBusy) as busy, stage_lock(store, "resolve", wait_seconds=0.5):
        pytest.fail("two runners held resolve at once")
    message = str(busy.value)
    assert "\n" not in message
    assert f"pid {os.getpid()}" in message and "Airflow run scheduled__2026-12-07T04:00:00+00:00" in message
    assert "since " in message and "store.lock_wait_seconds" in message
    assert busy.value.kind == "busy"
    with stage_lock(store, "deliver", wait_seconds=0):  # other stages are free meanwhile
        pass
    release.set()
    thread.join()
    with stage_lock(store, "resolve", wait_seconds=0):  # and the stage is free once released
        pass
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(stage_locks)).all() == [], "nothing is left behind"
    store.dispose()


def test_a_waiting_runner_gets_the_stage_when_the_holder_finishes(store_url: str) -> None:
    store = open_store(store_url)
    order: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    def first() -> None:
        with stage_lock(store, "evaluate", wait_seconds=5):
            entered.set()
            release.wait(30)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(30)
    threading.Timer(0.5, release.set).start()
    with stage_lock(store, "evaluate", wait_seconds=30):
        order.append("second runs")
    thread.join()
    assert order == ["first done", "second runs"]
    store.dispose()


def test_a_holder_killed_with_sigkill_does_not_block_the_stage(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url)
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, store_url], stdout=subprocess.PIPE, text=True, cwd=root
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    with (
        pytest.raises(StageBusy, match=f"pid {child.pid} on "),
        stage_lock(store, "deliver", wait_seconds=0.3),
    ):
        pass
    child.kill()
    child.wait()
    # taken over at once, no lease to wait out
    with stage_lock(store, "deliver", wait_seconds=10), store.engine.connect() as conn:
        assert conn.scalar(sa.select(stage_locks.c.pid)) == os.getpid()
    store.dispose()


def test_the_stages_take_their_locks_so_every_caller_shares_them(store_url: str) -> None:
    """resolve, evaluate and deliver (what the CLI, Airflow tasks and `hub run` call) wait on the lock."""
    from core.lifecycle.engine import evaluate
    from core.resolve.engine import resolve
    from core.tickets.outbox import deliver

    hub = make_hub(store_url, store={"url": store_url, "lock_wait_seconds": 0.2})
    for stage, run in (("resolve", resolve), ("evaluate", evaluate), ("deliver", deliver)):
        other_runner = open_store(store_url)
        with stage_lock(other_runner, stage, wait_seconds=0):
            outcome: list[BaseException] = []

            def attempt(run=run, outcome=outcome) -> None:
                try:
                    run(hub)
                except StageBusy as exc:
                    outcome.append(exc)

            other = threading.Thread(target=attempt)
            other.start()
            other.join()
            assert outcome and f"stage {stage} is busy" in str(outcome[0])
        other_runner.dispose()
        run(hub)  # free again
    hub.close()


def test_the_wait_is_configured_in_hub_yaml_and_validated() -> None:
    assert HubConfig.model_validate({"store": {"lock_wait_seconds": 45}}).store.lock_wait_seconds == 45
    with pytest.raises(ValueError, match="lock_wait_seconds"):
        HubConfig.model_validate({"store": {"lock_wait_seconds": -1}})
    with pytest.raises(ValueError, match="lock_lease_seconds"):
        HubConfig.model_validate({"store": {"lock_lease_seconds": 1}})
    assert Hub(HubConfig()).config.store.lock_wait_seconds == 300


def test_on_sqlite_a_writer_busy_with_the_store_is_waited_for_like_a_holder(tmp_path: Path) -> None:
    """Another stage's long transaction holds SQLite's write lock: taking a stage lock waits within
    `lock_wait_seconds` and says so, instead of failing with "database is locked" after 30 s."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = open_store(url)
    writer = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    with (
        pytest.raises(StageBusy, match="a writer busy with the store"),
        stage_lock(store, "resolve", wait_seconds=1),
    ):
        pass
    writer.execute("ROLLBACK")
    with stage_lock(store, "resolve", wait_seconds=1):
        pass
    writer.close()
    store.dispose()
