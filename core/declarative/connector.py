"""`DeclarativeSource`: a source connector whose API is described by a `source.yaml`.

Three ways to get one, all the same class underneath:
- `file_source(path)`: a definition named in `hub.yaml` (`rest_sources:`), no package needed;
- `package_source(module)`: an entry point naming a package that holds `source.yaml`;
- a Python subclass with `definition_file = "source.yaml"` (relative to its module) that overrides
  what the API needs code for: `transform()` per record, `build_auth()`, or `streams()`.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from requests.auth import AuthBase

from core.connector.contracts import (
    CheckResult,
    ConnectorConfig,
    Record,
    RecordRejected,
    SourceConnector,
    Stream,
)
from core.declarative.auth import build_auth
from core.declarative.config import DeclarativeConfig, config_model, resolved_base_url, template_values
from core.declarative.definition import Definition
from core.declarative.http import RecordingHttpClient
from core.declarative.load import LoadedDefinition, load_definition
from core.declarative.streams import DeclarativeStream, stream_class
from core.declarative.templates import render, render_params
from core.errors import ConfigError, HubError
from core.http.auth import token_form_poster
from core.http.redaction import redact_url
from core.http.retry import RetryPolicy
from core.secrets import secret_values

#: the generic fixture sandbox every declarative source with a `sandbox:` section gets
FIXTURE_SANDBOX = "core.declarative.sandbox:FixtureSandbox"


class DeclarativeSource(SourceConnector):
    """A source read as its definition says; subclass it where the API needs code."""

    #: the definition (set when a subclass names `definition_file`, or by `file_source`)
    loaded: ClassVar[LoadedDefinition]
    #: a subclass's `source.yaml`, relative to the subclass's module
    definition_file: ClassVar[str | Path | None] = None
    #: declarative sources are not part of the demo organisation unless asked for by name
    in_sandbox_fleet = False
    _stream_classes: ClassVar[list[type[DeclarativeStream]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        file = cls.__dict__.get("definition_file")
        if file is not None:
            path = Path(file)
            if not path.is_absolute():
                module_file = getattr(sys.modules.get(cls.__module__), "__file__", None) or "."
                path = Path(module_file).resolve().parent / path
            cls.bind(load_definition(path))

    @classmethod
    def bind(cls, loaded: LoadedDefinition) -> None:
        """Take type name, title, config model, streams and sandbox from the definition, unless the
        subclass sets them itself."""
        definition = loaded.definition
        cls.loaded = loaded
        own = cls.__dict__
        if "type_name" not in own:
            cls.type_name = definition.name
        if "title" not in own:
            cls.title = definition.title
        if "config_model" not in own:
            cls.config_model = config_model(definition)
        if "sandbox" not in own:
            cls.sandbox = FIXTURE_SANDBOX if definition.sandbox is not None else None
        cls._stream_classes = [stream_class(definition.name, n, s) for n, s in definition.streams.items()]

    @classmethod
    def definition(cls) -> Definition:
        return cls.loaded.definition

    @classmethod
    def stream_classes(cls) -> list[type[DeclarativeStream]]:
        """The stream classes the definition describes (before any instance is configured)."""
        return list(cls._stream_classes)

    @classmethod
    def package_dir(cls) -> Path:
        """Where the definition lives: its `mapping.yaml` and `playbooks/` are found beside it."""
        return cls.loaded.path.resolve().parent

    def __init__(self, config: ConnectorConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        definition = self.definition()
        self.template_values = template_values(config)
        base_url = (
            resolved_base_url(config)
            if isinstance(config, DeclarativeConfig)
            else render(definition.base_url, self.template_values)
        )
        common: dict[str, Any] = {
            "ca_bundle": config.ca_bundle,
            "read_timeout": config.timeout_seconds,
            "retry": RetryPolicy(max_retries=config.max_retries),
            "rate_per_second": getattr(config, "requests_per_second", None)
            or definition.rate_limit.requests_per_second,
            "secrets": secret_values(config),
        }
        self._token_http = RecordingHttpClient(base_url, name=f"{instance} token", **common)
        self.http = RecordingHttpClient(
            base_url,
            name=instance,
            auth=self.build_auth(),
            headers={k: render(v, self.template_values) for k, v in definition.headers.items()},
            **common,
        )

    # -- what a subclass may override ------------------------------------------------------------
    def build_auth(self) -> AuthBase | None:
        """The request signer; the default is the definition's `auth:`."""
        poster = token_form_poster(
            self._token_http,
            service=f"{self.instance} ({self.type_name})",
            hint="check the client ID and secret, and that the client may use the client credentials grant",
        )
        return build_auth(self.definition(), self.config, poster)

    def transform(self, stream: str, record: Record) -> Record | RecordRejected | None:
        """Each record before the engine sees it: change it, reject it (quarantined), or None to skip."""
        return record

    def streams(self) -> list[Stream]:
        return [cls(self) for cls in self._stream_classes]

    # -- the connector contract ------------------------------------------------------------------
    def check(self) -> CheckResult:
        definition = self.definition()
        if definition.check is not None:
            path, params = definition.check.path, definition.check.params
        else:
            first = next(iter(definition.streams.values())).request
            path, params = first.path, first.params
        try:
            self.http.request_json(
                "GET",
                render(path, self.template_values),
                params=render_params(params, self.template_values) or None,
            )
        except HubError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"authenticated and read {path} at {redact_url(self.http.base_url)}")

    def close(self) -> None:
        self.http.close()
        self._token_http.close()


_classes: dict[tuple[str, float], type[DeclarativeSource]] = {}
_classes_lock = threading.Lock()


def file_source(path: Path | str) -> type[DeclarativeSource]:
    """The connector class of a definition file (one class per file version)."""
    loaded = load_definition(path)
    key = (str(loaded.path.resolve()), loaded.path.stat().st_mtime)
    with _classes_lock:
        cls = _classes.get(key)
        if cls is None:
            title = "".join(part.capitalize() for part in loaded.definition.name.split("_"))
            cls = type(f"{title}Source", (DeclarativeSource,), {"__module__": __name__})
            cls.bind(loaded)
            _classes[key] = cls
    return cls


def package_source(module: ModuleType, entry_name: str | None = None) -> type[DeclarativeSource]:
    """The connector of a package registered by an entry point that names the package itself."""
    locations = list(getattr(module, "__path__", []) or [Path(module.__file__ or ".").parent])
    path = Path(locations[0]) / "source.yaml"
    if not path.exists():
        raise ConfigError(
            f"entry point names package {module.__name__}, which holds no source.yaml",
            hint="name a connector class (module:Class), or put the source definition in the package",
        )
    cls = file_source(path)
    if entry_name is not None and cls.type_name != entry_name:
        raise ConfigError(
            f"entry point {entry_name!r} names {path}, whose definition is called {cls.type_name!r}",
            hint="use the definition's name as the entry point's name",
        )
    return cls
