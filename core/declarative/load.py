"""Reading and checking a `source.yaml`: every problem reported at once, each as
`file:line: path: what is wrong`, before anything connects anywhere.

Structure is checked by the pydantic models (`definition.py`); this module adds what a schema
cannot say: placeholders name declared settings, secrets appear only in `auth:` and every
credential comes from a secret setting (a key typed into the file would end up in version
control), a detail path has `{id}`, the fixture sandbox renders every stream.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import ValidationError

from core.config.yaml_lines import Location, line_of, load_yaml_with_lines
from core.declarative.definition import CREDENTIAL_SLOTS, Definition
from core.declarative.templates import config_names, placeholders
from core.errors import ConfigError
from core.mapping.failures import did_you_mean

#: settings every declarative source has (from ConnectorConfig, plus base_url)
RESERVED_SETTINGS = ("base_url", "requests_per_second", "ca_bundle", "timeout_seconds", "max_retries")
#: discriminator values pydantic puts into error locations (not keys of the document)
_TAGS = {"none", "basic", "bearer", "api_key", "oauth2_client_credentials", "offset", "page_number"}
_TAGS |= {"cursor", "next_link", "link_header"}


@dataclass(frozen=True)
class LoadedDefinition:
    """A checked definition with where it came from (for errors raised later, e.g. by the sandbox)."""

    definition: Definition
    path: Path
    lines: dict[Location, int]

    def where(self, *location: Any) -> str:
        line = line_of(self.lines, location)
        return f"{self.path}:{line}" if line else str(self.path)


class _Problems:
    def __init__(self, path: Path, lines: dict[Location, int]) -> None:
        self.path, self.lines = path, lines
        self.messages: list[str] = []

    def add(self, location: Location, message: str) -> None:
        line = line_of(self.lines, location)
        dotted = ".".join(str(p) for p in location)
        self.messages.append(f"{self.path}:{line or '?'}: {dotted}: {message}" if dotted else message)

    def raise_if_any(self) -> None:
        if self.messages:
            count = len(self.messages)
            header = f"{count} error{'s' if count > 1 else ''} in source definition {self.path}:"
            raise ConfigError(
                "\n".join([header, *self.messages]),
                hint="fix the lines above; `hub source validate FILE` checks again",
            )


_cache: dict[tuple[str, float], LoadedDefinition] = {}
_cache_lock = threading.Lock()


def load_definition(path: Path | str) -> LoadedDefinition:
    """The checked definition in `path` (cached until the file changes); ConfigError lists every problem."""
    path = Path(path)
    try:
        stamp = path.stat().st_mtime
    except OSError:
        raise ConfigError(f"{path}: source definition not found") from None
    key = (str(path.resolve()), stamp)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    loaded = parse_definition(path.read_text(encoding="utf-8"), path)
    with _cache_lock:
        _cache[key] = loaded
    return loaded


def parse_definition(text: str, path: Path) -> LoadedDefinition:
    data, lines = load_yaml_with_lines(text, str(path))
    problems = _Problems(path, lines)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a source definition is a mapping with name, base_url, auth and streams")
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            location = _document_location(err["loc"], lines)
            problems.add(location, _message(err))
        problems.raise_if_any()
        raise AssertionError("unreachable") from exc
    _check_settings(definition, problems)
    _check_placeholders(data, definition, problems)
    _check_credentials(definition, problems)
    _check_streams(definition, problems)
    problems.raise_if_any()
    return LoadedDefinition(definition, path, lines)


def _document_location(loc: tuple[Any, ...], lines: dict[Location, int]) -> Location:
    """Pydantic's error location without union tags (`auth.basic.password` -> `auth.password`)."""
    out: list[Any] = []
    for part in loc:
        if part in _TAGS and tuple(out) in lines and (*out, part) not in lines:
            continue
        out.append("schema" if part == "record_schema" else part)
    return tuple(out)


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        key = str(err["loc"][-1])
        return f"unknown key {key!r}{did_you_mean(key, _KNOWN_KEYS)}"
    if err["type"] == "missing":
        return "required key is missing"
    return str(err["msg"])


def _all_field_names() -> set[str]:
    from pydantic import BaseModel

    import core.declarative.definition as module

    names: set[str] = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            for name, field in value.model_fields.items():
                names.add(field.alias or name)
    return names


_KNOWN_KEYS = _all_field_names()


def _strings(value: Any, location: Location) -> Iterator[tuple[Location, str]]:
    if isinstance(value, str):
        yield location, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*location, index))


def _check_settings(definition: Definition, problems: _Problems) -> None:
    for name in definition.config:
        if name in RESERVED_SETTINGS:
            problems.add(("config", name), f"{name!r} is a setting every source has; choose another name")


def _check_placeholders(data: dict[str, Any], definition: Definition, problems: _Problems) -> None:
    declared = set(definition.config) | {"base_url"}
    secrets = definition.secret_settings()
    for location, text in _strings({k: v for k, v in data.items() if k not in ("sandbox", "schema")}, ()):
        if len(location) >= 3 and location[0] == "streams" and location[2] == "schema":
            continue  # JSON Schema text, not a template
        for name in placeholders(text):
            if name.startswith("config."):
                setting = name.split(".", 1)[1]
                if setting not in declared:
                    problems.add(
                        location,
                        f"{{{name}}} names no setting{did_you_mean(setting, declared)}; "
                        f"declared: {', '.join(sorted(declared))}",
                    )
                elif setting in secrets and location[0] != "auth":
                    problems.add(
                        location,
                        f"secret setting {setting!r} may only be used in auth: (elsewhere it would reach "
                        "URLs and logs)",
                    )
            elif name == "id" and location[:1] == ("streams",) and location[2:] == ("detail", "path"):
                continue
            else:
                problems.add(
                    location,
                    f"unknown placeholder {{{name}}}; use {{config.NAME}} (or {{id}} in detail.path)",
                )


def _check_credentials(definition: Definition, problems: _Problems) -> None:
    auth = definition.auth
    slots = CREDENTIAL_SLOTS.get(auth.type, ())
    secrets = definition.secret_settings()
    carrying = [slot for slot in slots if set(config_names(getattr(auth, slot))) & secrets]
    for slot in slots:
        text = getattr(auth, slot)
        used = set(config_names(text)) & secrets
        exact = [f"{{config.{name}}}" for name in used]
        if used and text not in exact and not (slot == "value" and any(text.endswith(e) for e in exact)):
            problems.add(
                ("auth", slot),
                "a secret setting must fill the whole value (an API key header may have a prefix: "
                '"Token {config.api_key}")',
            )
    if slots and not carrying:
        where = ("auth", slots[-1])
        problems.add(
            where,
            f'the credential must come from a secret setting, e.g. "{{config.{slots[-1]}}}" with '
            f"config: {{{slots[-1]}: {{secret: true}}}} (a value in this file would end up in version control)",
        )


def _check_streams(definition: Definition, problems: _Problems) -> None:
    for name, stream in definition.streams.items():
        if stream.changes is not None and len(stream.primary_key) != 1:
            problems.add(
                ("streams", name, "primary_key"),
                "a stream read by `changes` is keyed by the one id its entries name",
            )
        if stream.detail is not None and "{id}" not in stream.detail.path:
            problems.add(("streams", name, "detail", "path"), "a detail path needs {id}")
        if stream.record_schema is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(stream.record_schema)
            except jsonschema.SchemaError as exc:
                problems.add(("streams", name, "schema"), f"not a JSON Schema: {exc.message}")
    sandbox = definition.sandbox
    if sandbox is None:
        return
    for name in sandbox.streams:
        if name not in definition.streams:
            problems.add(
                ("sandbox", "streams", name),
                f"no stream {name!r}{did_you_mean(name, definition.streams)}",
            )
    for name in definition.streams:
        if name not in sandbox.streams:
            problems.add(
                ("sandbox", "streams"), f"the fixture sandbox needs a record template for stream {name!r}"
            )
