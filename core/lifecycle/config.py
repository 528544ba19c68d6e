"""Lifecycle policy from `hub.yaml` (`lifecycle:`): time zones, existing-staff window, deadline
preset, ticket-storm guard and playbook overrides."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.errors import ConfigError

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
    playbook_dirs: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}", hint="use an IANA name such as America/Chicago"
        ) from None


def load_lifecycle_config(section: dict[str, Any], default_timezone: str) -> LifecycleConfig:
    try:
        config = LifecycleConfig.model_validate(section or {})
    except Exception as exc:
        raise ConfigError(f"hub.yaml lifecycle: {exc}") from None
    if config.timezone is None:
        config.timezone = default_timezone
    return config
