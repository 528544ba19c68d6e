"""The hub's runtime context: config, store, mappings and connector instances, built once.

The CLI, the Airflow tasks, the scenario runner and the tests all start here, so they run the
same engine the same way.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.config.hub_config import HubConfig, format_validation_error, load_hub_config
from core.connector.contracts import Connector
from core.connector.registry import connector_class
from core.errors import ConfigError
from core.store.engine import Store, open_store

if TYPE_CHECKING:
    from core.mapping import MappingSet

SHIPPED_MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"


class Hub:
    """Everything one process needs to run the hub; connectors are created lazily and reused."""

    def __init__(self, config: HubConfig, store: Store | None = None) -> None:
        self.config = config
        self._store = store
        self._connectors: dict[str, Connector] = {}

    @classmethod
    def load(cls, path: Path | str = "hub.yaml") -> Hub:
        return cls(load_hub_config(path))

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.config.store_url(), auto_upgrade=self.config.store.auto_upgrade)
        return self._store

    @cached_property
    def mappings(self) -> MappingSet:
        from core.mapping import load_mappings

        overrides = [self.config.resolve_path(p) for p in self.config.mappings.override_dirs]
        return load_mappings(SHIPPED_MAPPINGS, overrides)

    def connector(self, name: str) -> Connector:
        """The connector of instance `name`, with its config validated (errors name the line)."""
        if name not in self._connectors:
            instance = self.config.instance(name)
            cls = connector_class(instance.type)
            try:
                config = cls.config_model.model_validate(instance.config)
            except ValidationError as exc:
                lines: dict[Any, int] = self.config.__dict__.get("_lines", {})
                index = self.config.instances.index(instance)
                raise ConfigError(
                    format_validation_error(
                        exc, self.config.source_file, lines, ("instances", index, "config")
                    )
                ) from None
            self._connectors[name] = cls(config, instance=name)
        return self._connectors[name]

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
        if self._store is not None:
            self._store.dispose()
            self._store = None
