"""Discovery of connectors through the `itsm_hub.connectors` entry-point group.

A third-party package adds a connector by declaring, in its own pyproject:

    [project.entry-points."itsm_hub.connectors"]
    mysystem = "mypackage.connector:MySystemConnector"

The target may also name a package instead of a class: a package holding a `source.yaml` is a
declarative REST source (`core/declarative/`), with no Python of its own:

    [project.entry-points."itsm_hub.connectors"]
    mysystem = "mypackage.mysystem"

A connector that fails to import is listed with its error instead of breaking the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from core.connector.contracts import Connector
from core.errors import ConfigError

GROUP = "itsm_hub.connectors"


@dataclass(frozen=True)
class ConnectorEntry:
    name: str
    target: str
    cls: type[Connector] | None
    error: str | None


def discover() -> list[ConnectorEntry]:
    """Every registered connector, loaded; import failures are reported, not raised."""
    entries = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            cls = _connector_class(ep.load(), ep.name)
            entries.append(ConnectorEntry(ep.name, ep.value, cls, None))
        except Exception as exc:
            entries.append(ConnectorEntry(ep.name, ep.value, None, f"{type(exc).__name__}: {exc}"))
    return entries


def _connector_class(target: Any, name: str) -> type[Connector]:
    """The class an entry point names, or the declarative source of the package it names."""
    if isinstance(target, ModuleType):
        from core.declarative.connector import package_source

        return package_source(target, name)
    return target


def connector_class(type_name: str) -> type[Connector]:
    """The connector class registered as `type_name`; ConfigError lists the known ones."""
    found = {e.name: e for e in discover()}
    entry = found.get(type_name)
    if entry is None:
        raise ConfigError(
            f"unknown connector type {type_name!r}", hint=f"installed: {', '.join(sorted(found))}"
        )
    if entry.cls is None:
        raise ConfigError(f"connector {type_name!r} failed to load: {entry.error}")
    return entry.cls


def load_object(target: str) -> Any:
    """Import `module:attribute` (used for sandboxes declared by connectors)."""
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)
