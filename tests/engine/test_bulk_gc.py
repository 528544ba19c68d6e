"""Bulk stages run with fewer cyclic collections, and give the process its thresholds back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bulk_gc import BULK_THRESHOLD, fewer_collections
from core.hub import Hub
from core.store.locks import locked_stage
from tests.engine.staging import make_hub


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_the_youngest_threshold_is_raised_inside_and_restored_after_even_on_error(
    thresholds: tuple[int, int, int],
) -> None:
    with fewer_collections():
        assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)
        with fewer_collections():  # nested: no change, and the outer block still restores
            assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)
    assert gc.get_threshold() == thresholds
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a stage that fails")
    assert gc.get_threshold() == thresholds


def test_a_host_that_disabled_collection_or_set_a_higher_threshold_keeps_its_choice(
    thresholds: tuple[int, int, int],
) -> None:
    for host in ((0, 10, 10), (BULK_THRESHOLD * 2, 10, 10)):
        gc.set_threshold(*host)
        with fewer_collections():
            assert gc.get_threshold() == host
        assert gc.get_threshold() == host


def test_a_locked_stage_such_as_resolve_or_evaluate_runs_inside_it(
    thresholds: tuple[int, int, int], tmp_path: Path
) -> None:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}")
    seen: list[int] = []

    @locked_stage("evaluate")
    def stage(hub: Hub) -> None:
        seen.append(gc.get_threshold()[0])

    stage(hub)
    assert seen == [BULK_THRESHOLD] and gc.get_threshold() == thresholds
    hub.close()
