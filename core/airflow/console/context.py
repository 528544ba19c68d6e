"""The hub the console reads: loaded from `HUB_CONFIG` like the DAGs' tasks, and reloaded when
hub.yaml changes, so the console and the DAGs always read the same store."""

from __future__ import annotations

from functools import lru_cache

from core.airflow.runtime import config_path
from core.hub import Hub


@lru_cache(maxsize=2)
def _hub(path: str, mtime: float) -> Hub:
    return Hub.load(path)


def current_hub() -> Hub:
    path = config_path()
    return _hub(str(path.resolve()), path.stat().st_mtime)
