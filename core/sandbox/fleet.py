"""Starting every registered sandbox together and writing the `hub.yaml` that points at them.

Used by `hub sandbox serve`, `make demo`, the scenario runner and end-to-end tests, so they all
run the same organisation: one seed, one CA, one clock.
"""

from __future__ import annotations

import logging
import os
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
    connector names its fake as text so production code never imports it. A generic sandbox
    (the fixture sandbox of declarative sources) specialises itself for the connector."""
    if not connector.sandbox:
        raise LookupError(f"{connector.__name__} declares no sandbox")
    found = pkgutil.resolve_name(connector.sandbox)
    if not (isinstance(found, type) and issubclass(found, Sandbox)):
        raise TypeError(f"{connector.sandbox} is not a Sandbox class")
    return found.for_connector(connector)


@dataclass
class SandboxFleet:
    """Running sandboxes by connector type; a context manager that stops them all."""

    workdir: Path
    seed: int = 7
    scale: int = 50
    only: list[str] | None = None
    #: declarative source definitions to serve besides the registered connectors (hub.yaml's
    #: `rest_sources`); written into the hub.yaml this fleet describes
    sources: list[Path] = field(default_factory=list)
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    #: the port each sandbox should listen on (a restart keeps them, so saved cursors that name
    #: a sandbox's URL stay valid); a port taken meanwhile falls back to a free one
    ports: dict[str, int] = field(default_factory=dict)

    def candidates(self) -> list[tuple[str, type[Connector]]]:
        """(type name, class) of every registered connector, then each `sources` definition."""
        found = [(e.name, e.cls) for e in discover() if e.cls is not None]
        found += [(cls.type_name, cls) for cls in self._source_classes()]
        return found

    def _source_classes(self) -> list[type[Connector]]:
        if not self.sources:
            return []
        from core.declarative.connector import file_source

        return [file_source(p) for p in self.sources]

    def start(self) -> SandboxFleet:
        ca = SandboxCA(self.workdir)
        candidates = self.candidates()
        asked = {cls.type_name for cls in self._source_classes()}
        for name in sorted(set(self.only or []) - {n for n, c in candidates if c.sandbox}):
            known = ", ".join(sorted(n for n, c in candidates if c.sandbox))
            self.failed[name] = f"no sandbox is registered as {name!r} (known: {known})"
        for name, cls in candidates:
            if not cls.sandbox:
                continue
            # `only` (and `sources`) name what to start, even outside the demo organisation
            wanted = name in self.only if self.only is not None else cls.in_sandbox_fleet or name in asked
            if not wanted:
                continue
            try:
                sandbox_cls = sandbox_class(cls)
                sandbox = sandbox_cls(seed=self.seed, scale=self.scale, ca=ca, workdir=self.workdir / name)
                self.sandboxes[name] = _start(sandbox, self.ports.get(name, 0))
            except Exception as exc:  # one broken sandbox must not stop the others
                log.exception("sandbox %s failed to start", name)
                self.failed[name] = f"{type(exc).__name__}: {exc}"
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
        self,
        *,
        store_url: str,
        sink: str = "builtin",
        schedule: str = "@hourly",
        relative_to: Path | None = None,
    ) -> dict[str, Any]:
        """A hub.yaml document: every source sandbox as an instance, sinks configured but not selected."""
        instances = []
        for name, cls in self.candidates():
            sandbox = self.sandboxes.get(name)
            if sandbox is None:
                continue
            kind = "source" if issubclass(cls, SourceConnector) else "sink"
            if issubclass(cls, (TicketSink, Notifier)):
                kind = "sink"
            instances.append(
                {
                    "name": name,
                    "type": name,
                    "schedule": schedule if kind == "source" else None,
                    "config": sandbox.instance_config(),
                }
            )
        document: dict[str, Any] = {}
        if self.sources:
            base = relative_to.resolve() if relative_to is not None else None
            document["rest_sources"] = [_relative(p, base) for p in self.sources]
        return {
            **document,
            "store": {"url": store_url},
            "timezone": "America/Chicago",
            "instances": instances,
            "tickets": {"sink": sink},
        }

    def write_hub_yaml(self, path: Path, **kwargs: Any) -> Path:
        document = self.hub_config(relative_to=path.parent, **kwargs)
        path.write_text(
            "# Written by `hub sandbox serve`: every instance points at a local sandbox tenant.\n"
            + yaml.safe_dump(document, sort_keys=False)
        )
        return path


def _start(sandbox: Sandbox, port: int) -> Sandbox:
    if port:
        try:
            return sandbox.start(port)
        except OSError as exc:
            log.warning("sandbox %s: port %d is taken (%s); listening on another", sandbox.name, port, exc)
    return sandbox.start()


def _relative(path: Path, base: Path | None) -> str:
    """A definition's path as hub.yaml should name it (relative to hub.yaml's directory)."""
    if base is None:
        return str(path)
    return os.path.relpath(path.resolve(), base)
