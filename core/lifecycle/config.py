"""Lifecycle policy from `hub.yaml` (`lifecycle:`): time zones, existing-staff window, deadline
preset, ticket-storm guard, transfer notice and playbook overrides."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.actions.policy import ActionsConfig
from core.errors import ConfigError
from core.vocabulary import TransferNotice

DeadlinePreset = Literal["none", "fedramp_low", "fedramp_moderate", "fedramp_high", "cjis"]


class StormGuard(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    #: more new tickets of one type than this in one run are held for `hub approve`
    max_count: int = Field(default=50, ge=1)


class LifecycleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str | None = None
    location_timezones: dict[str, str] = Field(default_factory=dict)
    existing_staff_days: int = Field(default=14, ge=0)
    deadline_preset: DeadlinePreset = "fedramp_moderate"
    #: local time a termination takes effect on the last day of work when one is given
    last_day_end_hour: int = Field(default=17, ge=0, le=23)
    storm_guard: StormGuard = Field(default_factory=StormGuard)
    #: a future-dated transfer opens its ticket when first seen, due on its effective date
    #: (`advance`), or only once it has taken effect (`on_effective`)
    transfer_notice: TransferNotice = "advance"
    playbook_dirs: list[str] = Field(default_factory=list)
    #: the policy of each action the hub may perform itself, and the mass-change guard on them
    actions: ActionsConfig = Field(default_factory=ActionsConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            _check_zone(value)
        return value

    @field_validator("location_timezones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            _check_zone(name)
        return value


def _check_zone(name: str) -> None:
    """A ValueError pydantic reports at the field's line (ConfigError would escape validation)."""
    try:
        zone(name)
    except ConfigError as exc:
        raise ValueError(f"{exc.message}; {exc.hint}") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}", hint="use an IANA name such as America/Chicago"
        ) from None


def load_lifecycle_config(
    section: LifecycleConfig | dict[str, Any], default_timezone: str
) -> LifecycleConfig:
    """The lifecycle policy with the hub's time zone filled in. `hub.yaml` is validated when it is
    loaded (errors name file and line); a dict is accepted for tests and scenarios."""
    if isinstance(section, LifecycleConfig):
        config = section.model_copy()
    else:
        try:
            config = LifecycleConfig.model_validate(section or {})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"lifecycle: {problems}") from None
    if config.timezone is None:
        config.timezone = default_timezone
    return config
