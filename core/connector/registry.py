"""Discovery of connectors through the `itsm_hub.connectors` entry-point group.

A third-party package adds a connector by declaring, in its own pyproject:

    [project.entry-points."itsm_hub.connectors"]
    mysystem = "mypackage.connector:MySystemConnector"

Looking one connector up imports that connector only: an Airflow task syncing Workday never
pays for boto3, the Azure SDKs, msal or simple-salesforce. Listing them all (`hub connectors`)
imports every one, and a connector that fails to import is listed with its error instead of
breaking the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

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
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def discover() -> list[ConnectorEntry]:
    """Every registered connector, loaded; import failures are reported, not raised."""
    return [_load(ep) for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name)]


def connector_class(type_name: str) -> type[Connector]:
    """The connector class registered as `type_name` (only its entry point is imported);
    ConfigError lists the known types when it is not registered."""
    found = entry_points(group=GROUP, name=type_name)
    if not found:
        raise ConfigError(
            f"unknown connector type {type_name!r}", hint=f"installed: {', '.join(installed_names())}"
        )
    entry = _load(next(iter(found)))
    if entry.cls is None:
        raise ConfigError(f"connector {type_name!r} failed to load: {entry.error}")
    return entry.cls


def _load(ep: EntryPoint) -> ConnectorEntry:
    try:
        cls = ep.load()
    except Exception as exc:
        return ConnectorEntry(ep.name, ep.value, None, f"{type(exc).__name__}: {exc}")
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        return ConnectorEntry(ep.name, ep.value, None, f"{ep.value} is not a Connector class")
    return ConnectorEntry(ep.name, ep.value, cls, None)
