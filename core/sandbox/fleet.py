"""Starting every registered sandbox together and writing the `hub.yaml` that points at them.

Used by `hub sandbox serve`, `make demo`, the scenario runner and end-to-end tests, so they all
run the same organisation: one seed, one CA, one clock.
"""

from __future__ import annotations

import logging
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.connector.contracts import Connector, SourceConnector
from core.connector.registry import discover
from core.connector.sink import Notifier, TicketSink
from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA

log = logging.getLogger("hub.sandbox")


def sandbox_class(connector: type[Connector]) -> type[Sandbox]:
    """The sandbox a connector declares (`sandbox = "module:Class"`), imported only here: a
    connector names its fake as text so production code never imports it."""
    if not connector.sandbox:
        raise LookupError(f"{connector.__name__} declares no sandbox")
    found = pkgutil.resolve_name(connector.sandbox)
    if not (isinstance(found, type) and issubclass(found, Sandbox)):
        raise TypeError(f"{connector.sandbox} is not a Sandbox class")
    return found


@dataclass
class SandboxFleet:
    """Running sandboxes by connector type; a context manager that stops them all."""

    workdir: Path
    seed: int = 7
    scale: int = 50
    only: list[str] | None = None
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def start(self) -> SandboxFleet:
        ca = SandboxCA(self.workdir)
        for entry in discover():
            cls = entry.cls
            if cls is None or not cls.sandbox or not cls.in_sandbox_fleet:
                continue
            if self.only is not None and entry.name not in self.only:
                continue
            try:
                sandbox_cls = sandbox_class(cls)
                sandbox = sandbox_cls(
                    seed=self.seed, scale=self.scale, ca=ca, workdir=self.workdir / entry.name
                )
                self.sandboxes[entry.name] = sandbox.start()
            except Exception as exc:  # one broken sandbox must not stop the others
                log.exception("sandbox %s failed to start", entry.name)
                self.failed[entry.name] = f"{type(exc).__name__}: {exc}"
        return self

    def stop(self) -> None:
        for sandbox in self.sandboxes.values():
            try:
                sandbox.stop()
            except Exception:  # stopping is best effort
                log.exception("sandbox %s failed to stop", sandbox.name)
        self.sandboxes.clear()

    def __enter__(self) -> SandboxFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hub_config(
        self, *, store_url: str, sink: str = "builtin", schedule: str = "@hourly"
    ) -> dict[str, Any]:
        """A hub.yaml document: every source sandbox as an instance, sinks configured but not selected."""
        instances = []
        for entry in discover():
            sandbox = self.sandboxes.get(entry.name)
            if sandbox is None or entry.cls is None:
                continue
            kind = "source" if issubclass(entry.cls, SourceConnector) else "sink"
            if issubclass(entry.cls, (TicketSink, Notifier)):
                kind = "sink"
            instances.append(
                {
                    "name": entry.name,
                    "type": entry.name,
                    "schedule": schedule if kind == "source" else None,
                    "config": sandbox.instance_config(),
                }
            )
        return {
            "store": {"url": store_url},
            "timezone": "America/Chicago",
            "instances": instances,
            "tickets": {"sink": sink},
        }

    def write_hub_yaml(self, path: Path, **kwargs: Any) -> Path:
        path.write_text(
            "# Written by `hub sandbox serve`: every instance points at a local sandbox tenant.\n"
            + yaml.safe_dump(self.hub_config(**kwargs), sort_keys=False)
        )
        return path
