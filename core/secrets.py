"""Secret values that resolve lazily and never print.

In `hub.yaml` a secret field holds a *reference*, never (ideally) the value:

    client_secret: {env: GRAPH_CLIENT_SECRET}
    password: {airflow_conn: workday_isu, field: password}

A literal string is accepted for sandboxes and local trials. The value is resolved on first use,
so a config can be loaded, validated and printed without access to the secret store.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from core.errors import ConfigError

MASK = "**********"

#: every secret value this process has revealed (and runtime credentials such as access tokens
#: registered with `remember_secret`): the log redaction filter masks them wherever they appear
_revealed: set[str] = set()
_revealed_lock = threading.Lock()


_listeners: list[Callable[[str], None]] = []


def remember_secret(value: str | None) -> None:
    """Mask `value` in every log line from now on (too short a value would mask ordinary words)."""
    if value and len(value) >= 6:
        with _revealed_lock:
            new = value not in _revealed
            _revealed.add(value)
            listeners = list(_listeners)
        for listener in listeners if new else ():
            listener(value)


def on_reveal(listener: Callable[[str], None]) -> None:
    """Tell `listener` every secret revealed so far and from now on (Airflow's log masker)."""
    with _revealed_lock:
        if listener in _listeners:
            return
        _listeners.append(listener)
        known = list(_revealed)
    for value in known:
        listener(value)


def revealed_values() -> tuple[str, ...]:
    """Longest first, so a secret containing another is masked whole."""
    with _revealed_lock:
        return tuple(sorted(_revealed, key=len, reverse=True))


class Secret:
    """A secret config value: `str()`/`repr()` are masked; `reveal()` resolves it when needed."""

    __slots__ = ("_airflow_conn", "_env", "_field", "_literal", "owner")

    def __init__(
        self,
        *,
        literal: str | None = None,
        env: str | None = None,
        airflow_conn: str | None = None,
        field: str = "password",
    ) -> None:
        if sum(x is not None for x in (literal, env, airflow_conn)) != 1:
            raise ConfigError("a secret needs exactly one of: a value, {env: NAME} or {airflow_conn: ID}")
        self._literal = literal
        self._env = env
        self._airflow_conn = airflow_conn
        self._field = field
        #: who needs it, for messages: `instance munis, field sftp_password (hub.yaml:14)`
        self.owner: str | None = None

    @property
    def reference(self) -> dict[str, str] | None:
        """The non-secret reference (for display and for writing config back), or None for literals."""
        if self._env is not None:
            return {"env": self._env}
        if self._airflow_conn is not None:
            return {"airflow_conn": self._airflow_conn, "field": self._field}
        return None

    def reveal(self) -> str:
        """The secret value. Raises ConfigError naming the reference (never a value) if unresolvable."""
        value = self._resolve()
        remember_secret(value)
        return value

    def _resolve(self) -> str:
        if self._literal is not None:
            return self._literal
        if self._env is not None:
            value = os.environ.get(self._env)
            if value is None:
                raise ConfigError(
                    f"{self._needed_by()}environment variable {self._env} is not set",
                    hint="export it in the environment the hub runs in, or change the reference in hub.yaml",
                )
            return value
        try:
            return _from_airflow_connection(self._airflow_conn or "", self._field)
        except ConfigError as exc:
            raise ConfigError(f"{self._needed_by()}{exc.message}", hint=exc.hint) from None

    def _needed_by(self) -> str:
        return f"{self.owner} needs a secret, but " if self.owner else ""

    def __repr__(self) -> str:
        ref = self.reference
        return f"Secret({ref})" if ref else f"Secret({MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and (self.reference, self._literal) == (
            other.reference,
            other._literal,
        )

    def __hash__(self) -> int:
        return hash(repr(self))

    @classmethod
    def parse(cls, value: Any) -> Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return cls(literal=value)
        if isinstance(value, dict):
            unknown = set(value) - {"env", "airflow_conn", "field"}
            if unknown:
                raise ValueError(f"unknown secret reference keys {sorted(unknown)}; use env or airflow_conn")
            if "env" in value:
                return cls(env=str(value["env"]))
            if "airflow_conn" in value:
                return cls(airflow_conn=str(value["airflow_conn"]), field=str(value.get("field", "password")))
        raise ValueError("a secret must be a string, {env: NAME} or {airflow_conn: ID, field: password}")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda s: s.reference if s.reference else MASK
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "format": "password", "writeOnly": True},
                {"type": "object", "properties": {"env": {"type": "string"}}, "required": ["env"]},
                {
                    "type": "object",
                    "properties": {"airflow_conn": {"type": "string"}, "field": {"type": "string"}},
                    "required": ["airflow_conn"],
                },
            ],
            "writeOnly": True,
            "format": "password",
        }


def _from_airflow_connection(conn_id: str, field: str) -> str:
    """Read one field of an Airflow Connection; imported lazily so the engine runs without Airflow."""
    try:
        from airflow.sdk import BaseHook
    except ImportError as exc:  # pragma: no cover - Airflow is a dependency, but keep the message clear
        raise ConfigError("Airflow is not installed; cannot resolve an airflow_conn secret") from exc
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:
        raise ConfigError(
            f"Airflow connection {conn_id!r} not found or unreadable: {type(exc).__name__}"
        ) from None
    if field == "password":
        value = conn.password
    elif field == "login":
        value = conn.login
    else:
        value = (conn.extra_dejson or {}).get(field)
    if not value:
        raise ConfigError(f"Airflow connection {conn_id!r} has no {field!r}")
    return str(value)


def secret_values(obj: Any) -> list[str]:
    """Every literal or already-resolvable secret value inside a config object, for redaction."""
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, Secret):
            with contextlib.suppress(ConfigError):
                found.append(value.reveal())
        elif hasattr(value, "__dict__") and hasattr(value, "model_fields"):
            for name in type(value).model_fields:
                visit(getattr(value, name))
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)

    visit(obj)
    return [v for v in found if v]


def label_secrets(obj: Any, owner: Callable[[tuple[str, ...]], str], path: tuple[str, ...] = ()) -> None:
    """Name, on every Secret inside a config model, who needs it: `owner(field path)` says it,
    e.g. `instance munis, field sftp_password (hub.yaml:14)`."""
    if not (hasattr(obj, "__dict__") and hasattr(obj, "model_fields")):
        return
    for name in type(obj).model_fields:
        value = getattr(obj, name)
        if isinstance(value, Secret):
            value.owner = owner((*path, name))
        else:
            label_secrets(value, owner, (*path, name))
