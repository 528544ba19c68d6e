"""Discovery of connectors through the `itsm_hub.connectors` entry-point group.

A third-party package adds a connector by declaring, in its own pyproject:

    [project.entry-points."itsm_hub.connectors"]
    mysystem = "mypackage.connector:MySystemConnector"

The target may also name a package instead of a class: a package holding a `source.yaml` is a
declarative REST source (`core/declarative/`), with no Python of its own:

    [project.entry-points."itsm_hub.connectors"]
    mysystem = "mypackage.mysystem"

Looking one connector up imports that connector only: an Airflow task syncing Workday never
pays for boto3, the Azure SDKs, msal or simple-salesforce. Listing them all (`hub connectors`)
imports every one, and a connector that fails to import is listed with its error instead of
breaking the hub.

Reading the entry points means reading the metadata of every installed distribution, which costs
more than most of what a short `hub` command or a scenario's `Hub` then does; so the group is read
once and kept while the import path and its folders are unchanged (installing or removing a
package changes its folder's modification time, so the next lookup reads the group again).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from core.connector.contracts import Connector
from core.errors import ConfigError

GROUP = "itsm_hub.connectors"


@dataclass(frozen=True)
class ConnectorEntry:
    name: str
    target: str
    cls: type[Connector] | None
    error: str | None


def installed_names() -> list[str]:
    """Every registered connector type, without importing any of them."""
    return sorted({ep.name for ep in _group()})


def discover() -> list[ConnectorEntry]:
    """Every registered connector, loaded; import failures are reported, not raised."""
    return [_load(ep) for ep in sorted(_group(), key=lambda e: e.name)]


def connector_class(type_name: str) -> type[Connector]:
    """The connector class registered as `type_name` (only its entry point is imported);
    ConfigError lists the known types when it is not registered."""
    found = [ep for ep in _group() if ep.name == type_name]
    if not found:
        raise ConfigError(
            f"unknown connector type {type_name!r}", hint=f"installed: {', '.join(installed_names())}"
        )
    entry = _load(found[0])
    if entry.cls is None:
        raise ConfigError(f"connector {type_name!r} failed to load: {entry.error}")
    return entry.cls


def _load(ep: EntryPoint) -> ConnectorEntry:
    try:
        cls = ep.load()
        if isinstance(cls, ModuleType):  # a package holding a declarative source.yaml
            from core.declarative.connector import package_source

            cls = package_source(cls, ep.name)
    except Exception as exc:
        return ConnectorEntry(ep.name, ep.value, None, f"{type(exc).__name__}: {exc}")
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        return ConnectorEntry(ep.name, ep.value, None, f"{ep.value} is not a Connector class")
    return ConnectorEntry(ep.name, ep.value, cls, None)


#: (the import path's folders and their modification times, when they were read, the group)
_read: tuple[tuple[tuple[str, int], ...], int, tuple[EntryPoint, ...]] | None = None
_read_lock = threading.Lock()
#: a folder changed less than this before the group was read may change again within the same
#: tick of the file system's clock, unseen: such a read is not kept (git's "racily clean" rule)
_SETTLED_NS = 2_000_000_000


def _group() -> tuple[EntryPoint, ...]:
    """The group's entry points, in `entry_points()` order, read again only when the import
    path or the modification time of one of its folders changed."""
    global _read
    key = _installed_state()
    with _read_lock:
        if _read is None or _read[0] != key or max((t for _, t in key), default=0) > _read[1] - _SETTLED_NS:
            _read = (key, time.time_ns(), tuple(entry_points(group=GROUP)))
        return _read[2]


def _installed_state() -> tuple[tuple[str, int], ...]:
    state = []
    for folder in sys.path:
        try:
            state.append((folder, os.stat(folder or ".").st_mtime_ns))
        except OSError:
            state.append((folder, -1))
    return tuple(state)
