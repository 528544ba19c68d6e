"""The hub's runtime context: config, store, mappings and connector instances, built once.

The CLI, the Airflow tasks, the scenario runner and the tests all start here, so they run the
same engine the same way.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.config.hub_config import HubConfig, load_hub_config
from core.config.problems import format_validation_error, problem
from core.config.yaml_lines import line_of
from core.connector.contracts import Connector
from core.connector.registry import connector_class
from core.errors import ConfigError
from core.secrets import label_secrets
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
            cls, config = self._connector_config(name)
            self._connectors[name] = cls(config, instance=name)
        return self._connectors[name]

    def validate(self, names: list[str]) -> None:
        """Validate the connector configs of these instances before any stage runs; one
        ConfigError lists every problem (file:line each)."""
        problems = []
        for name in names:
            try:
                self._connector_config(name)
            except ConfigError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError("\n".join(problems))

    def _connector_config(self, name: str) -> tuple[type[Connector], Any]:
        instance = self.config.instance(name)
        index = self.config.instances.index(instance)
        lines: dict[Any, int] = self.config.__dict__.get("_lines", {})
        try:
            cls = connector_class(instance.type)
        except ConfigError as exc:
            where = problem(self.config.source_file, lines, ("instances", index, "type"), exc.message)
            raise ConfigError(where, hint=exc.hint) from None
        try:
            config = cls.config_model.model_validate(instance.config)
        except ValidationError as exc:
            prefix = ("instances", index, "config")
            text = format_validation_error(exc, self.config.source_file, lines, prefix, cls.config_model)
            raise ConfigError(text) from None
        filename = self.config.source_file

        def owner(field: tuple[str, ...]) -> str:
            line = line_of(lines, ("instances", index, "config", *field)) or "?"
            return f"instance {name}, field {'.'.join(field)} ({filename}:{line})"

        label_secrets(config, owner)
        return cls, config

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
        if self._store is not None:
            self._store.dispose()
            self._store = None
