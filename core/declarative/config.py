"""The typed config model of a declarative source, built from its `config:` settings.

Secret settings are `core.secrets.Secret` (so the JSON Schema marks them `writeOnly` and their
`repr` is masked); the rest are plain typed fields. `base_url` defaults to the definition's and may
be overridden per instance (a sandbox, a regional endpoint).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model

from core.connector.contracts import ConnectorConfig
from core.declarative.definition import ConfigFieldDef, Definition
from core.declarative.templates import render
from core.errors import ConfigError
from core.secrets import Secret

_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


class DeclarativeConfig(ConnectorConfig):
    """Settings every declarative source has besides its own."""

    base_url: str = Field(description="API root; {config.NAME} placeholders are filled from the settings")
    requests_per_second: float | None = Field(
        default=None, gt=0, description="client-side request budget; default: the definition's rate_limit"
    )


def config_model(definition: Definition) -> type[DeclarativeConfig]:
    """A pydantic model named after the source, e.g. `BamboohrConfig`."""
    fields: dict[str, Any] = {
        "base_url": (
            str,
            Field(default=definition.base_url, description="API root (default from the definition)"),
        )
    }
    for name, spec in definition.config.items():
        fields[name] = _field(spec)
    model_name = "".join(part.capitalize() for part in definition.name.split("_")) + "Config"
    model: type[DeclarativeConfig] = create_model(model_name, __base__=DeclarativeConfig, **fields)
    return model


def _field(spec: ConfigFieldDef) -> tuple[Any, Any]:
    kind: Any = Secret if spec.secret else _TYPES[spec.type]
    if spec.default is None and not spec.secret:
        return (kind, Field(description=spec.description))
    if spec.secret:
        return (kind, Field(description=spec.description or "a secret"))
    return (kind, Field(default=spec.default, description=spec.description))


def template_values(config: ConnectorConfig) -> dict[str, Any]:
    """`config.NAME` -> value for placeholders (secrets stay `Secret`; only auth reveals them)."""
    return {f"config.{name}": getattr(config, name) for name in type(config).model_fields}


def resolved_base_url(config: DeclarativeConfig) -> str:
    try:
        url = render(config.base_url, template_values(config))
    except KeyError as missing:
        raise ConfigError(f"base_url names an unknown setting {missing}") from None
    if not url.startswith("https://"):
        raise ConfigError(
            f"base_url {url!r} is not https://", hint="TLS stays on: the hub talks to APIs over HTTPS only"
        )
    return url
