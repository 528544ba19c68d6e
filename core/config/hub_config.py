"""The deployment's `hub.yaml`, as typed pydantic models.

Everything but the connectors' own settings is validated when the file is loaded (a DAG file
parses it in every task process, so connector classes are not imported here); connector configs
are validated against each connector's model by `Hub.validate()`/`Hub.connector()`, with errors
pointing at the line in `hub.yaml`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.config.problems import format_validation_error, problem, unknown_key
from core.config.yaml_lines import Location, line_of, load_yaml_with_lines, read_text
from core.errors import ConfigError
from core.lifecycle.config import LifecycleConfig, zone


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Model):
    url: str = "sqlite:///.hub/hub.db"
    auto_upgrade: bool = True
    #: how long a runner waits for a stage (resolve, evaluate, deliver) another runner holds
    #: before it gives up with exit code 7 (`core/store/locks.py`)
    lock_wait_seconds: float = Field(default=300, ge=0, le=86400)
    #: SQLite: a holder renews its lock this often (a third of it); a holder on another host
    #: silent for this long is taken over (on this host a dead pid is taken over at once)
    lock_lease_seconds: float = Field(default=300, ge=10, le=86400)


class DeletionPolicy(_Model):
    """A record missing from complete snapshots is deleted after this many snapshots or days."""

    missing_snapshots: int = Field(default=2, ge=1)
    missing_days: int | None = Field(default=None, ge=0)


class GuardPolicy(_Model):
    """Mass-change guard: a change that would delete or deactivate more than `max_share` of a
    stream's records, or more than `max_count` records, is held (whichever trips first).

    `null` switches one dimension off; `enabled: false` switches the guard off for the stream. A
    change of at most `min_count` records is never a mass change, so one leaver of a 15-person
    stream is not held for approval.
    """

    max_share: float | None = Field(default=0.05, ge=0, le=1)
    max_count: int | None = Field(default=50, ge=0)
    min_count: int = Field(default=1, ge=0)
    enabled: bool = True

    def _limits(self, population: int) -> list[int]:
        limits = [] if self.max_count is None else [self.max_count]
        if self.max_share is not None:
            # the epsilon keeps 5 % of 200 at 10 despite binary floating point
            limits.append(math.floor(population * self.max_share + 1e-9))
        return limits

    def limit(self, population: int) -> int | None:
        """The most records one change may affect without a hold (None: no limit)."""
        limits = self._limits(population)
        return max(min(limits), self.min_count) if limits else None

    def trips(self, affected: int, population: int) -> bool:
        limit = self.limit(population)
        return self.enabled and limit is not None and affected > limit

    def describe(self, population: int) -> str:
        """The limit in the operator's terms: `at most 10 (5 % of 200 or 50, whichever is fewer)`."""
        limit = self.limit(population)
        if limit is None:
            return "any number of records"
        parts = [] if self.max_share is None else [f"{self.max_share * 100:g} % of {population:,}"]
        parts += [] if self.max_count is None else [f"{self.max_count:,}"]
        why = " or ".join(parts) + (", whichever is fewer" if len(parts) == 2 else "")
        if limit > min(self._limits(population)):
            why += f"; never fewer than min_count {self.min_count}"
        return f"at most {limit:,} ({why})"


class StreamPolicy(_Model):
    enabled: bool = True
    deletion: DeletionPolicy = Field(default_factory=DeletionPolicy)
    guard: GuardPolicy = Field(default_factory=GuardPolicy)


class InstanceConfig(_Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: str
    enabled: bool = True
    schedule: str | None = "@hourly"
    config: dict[str, Any] = Field(default_factory=dict)
    streams: dict[str, StreamPolicy] = Field(default_factory=dict)
    pool_slots: int | None = Field(default=None, ge=1)
    #: deadline alert: notify when a sync run is still unfinished this long after it was queued
    max_run_minutes: int = Field(default=120, ge=1)
    #: the file and line the instance was declared at, for error messages
    origin: str = Field(default="hub.yaml", exclude=True)

    def stream_policy(self, stream: str) -> StreamPolicy:
        return self.streams.get(stream, StreamPolicy())


class MappingsConfig(_Model):
    override_dirs: list[str] = Field(default_factory=list)


class DeliveryPolicy(_Model):
    """How the outbox treats a failing intent and how long a deliverer may hold one.

    A failed intent waits `backoff_seconds`, doubling per attempt up to `max_backoff_seconds`;
    after `max_attempts` it is `dead` until an operator runs `hub outbox retry`. A deliverer's
    claim on an intent lasts `lease_seconds`: after that a crashed deliverer's intent is taken
    over (starting with a lookup at the sink), so it must exceed the slowest single send.
    """

    max_attempts: int = Field(default=10, ge=1, le=1000)
    backoff_seconds: float = Field(default=30.0, ge=0, le=86_400)
    max_backoff_seconds: float = Field(default=3600.0, ge=0, le=7 * 86_400)
    lease_seconds: float = Field(default=600.0, ge=10, le=86_400)

    @model_validator(mode="after")
    def _backoff_in_order(self) -> DeliveryPolicy:
        if self.max_backoff_seconds < self.backoff_seconds:
            raise ValueError(
                f"max_backoff_seconds ({self.max_backoff_seconds:g}) is below backoff_seconds "
                f"({self.backoff_seconds:g}); the cap must be at least the first wait"
            )
        return self

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failure (1-based)."""
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1)))


class TicketsConfig(_Model):
    sink: str = "builtin"
    notifier: str | None = None
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)
    #: an onboarding or offboarding due within this many hours and not done gets a "due soon"
    #: card (channel and manager); 0 turns those cards off
    due_soon_hours: float = Field(default=48.0, ge=0)


class NotificationsConfig(_Model):
    teams_webhook: dict[str, str] | str | None = None
    email_to: list[str] = Field(default_factory=list)
    ui_base_url: str = "http://localhost:8080"


class HubConfig(_Model):
    store: StoreConfig = Field(default_factory=StoreConfig)
    #: declarative REST source definitions (paths relative to hub.yaml): each is a connector type
    #: named by its `name:`, usable as an instance `type:` without installing a package
    rest_sources: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    mappings: MappingsConfig = Field(default_factory=MappingsConfig)
    instances: list[InstanceConfig] = Field(default_factory=list)
    resolution: dict[str, Any] = Field(default_factory=dict)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    #: directory of hub.yaml: relative paths in the config are relative to it
    base_dir: Path = Field(default=Path("."), exclude=True)
    source_file: str = Field(default="hub.yaml", exclude=True)
    kind: Literal["hub"] = Field(default="hub", exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except ConfigError as exc:
            raise ValueError(f"{exc.message}; {exc.hint}") from None
        return value

    @field_validator("instances")
    @classmethod
    def _unique_names(cls, instances: list[InstanceConfig]) -> list[InstanceConfig]:
        seen: set[str] = set()
        for inst in instances:
            if inst.name in seen:
                raise ValueError(f"instance name {inst.name!r} is used twice")
            seen.add(inst.name)
        return instances

    def instance(self, name: str) -> InstanceConfig:
        for inst in self.instances:
            if inst.name == name:
                return inst
        known = ", ".join(i.name for i in self.instances) or "none"
        raise ConfigError(
            f"{self.source_file}: no connector instance named {name!r}", hint=f"configured: {known}"
        )

    def store_url(self) -> str:
        """The store URL with a relative SQLite path made relative to hub.yaml's directory.

        `HUB_STORE_URL` in the environment wins, so a database password need not be in hub.yaml.
        """
        url = os.environ.get("HUB_STORE_URL") or self.store.url
        if url.startswith("sqlite:///") and not url.startswith(("sqlite:////", "sqlite:///:memory:")):
            return "sqlite:///" + str(self.resolve_path(url.removeprefix("sqlite:///")))
        return url

    def resolve_path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.base_dir / path


def load_hub_config(path: Path | str = "hub.yaml") -> HubConfig:
    """Load and validate `hub.yaml` whole (policies, lifecycle, resolution and the references
    between sections); ConfigError lists every problem with its file and line."""
    path = Path(path)
    data, lines = load_yaml_with_lines(read_text(path), str(path))
    try:
        config = HubConfig.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, str(path), lines, (), HubConfig)) from None
    problems = section_problems(config, str(path), lines)
    if problems:
        raise ConfigError("\n".join(problems))
    config.base_dir = path.resolve().parent
    config.source_file = str(path)
    for index, inst in enumerate(config.instances):
        inst.origin = f"{path}:{line_of(lines, ('instances', index)) or '?'}"
    config.__dict__["_lines"] = lines
    return config


def section_problems(config: HubConfig, filename: str, lines: dict[Location, int]) -> list[str]:
    """What the models cannot see alone: the resolution rules (owned by `core.resolve`, imported
    here lazily) and the instances the tickets section names."""
    from core.resolve.config import DEFAULTS, EntityRules

    found: list[str] = []
    for entity, spec in config.resolution.items():
        if entity not in DEFAULTS:
            found.append(
                problem(filename, lines, ("resolution", entity), unknown_key(entity, list(DEFAULTS)))
            )
            continue
        try:
            EntityRules.model_validate({**DEFAULTS[entity].model_dump(), **(spec or {})})
        except ValidationError as exc:
            found.append(format_validation_error(exc, filename, lines, ("resolution", entity), EntityRules))
        except (TypeError, ValueError):
            found.append(
                problem(filename, lines, ("resolution", entity), "must be a mapping of match/precedence")
            )
    names = [i.name for i in config.instances]
    for key in ("sink", "notifier"):
        value = getattr(config.tickets, key)
        if value and value != "builtin" and value not in names:
            known = ", ".join(["builtin", *names] if key == "sink" else names) or "none"
            found.append(
                problem(filename, lines, ("tickets", key), f"no instance named {value!r}; known: {known}")
            )
    return found


__all__ = ["HubConfig", "InstanceConfig", "format_validation_error", "load_hub_config"]
