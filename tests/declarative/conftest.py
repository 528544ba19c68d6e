"""Definitions written for one test, their connector class and a fixture sandbox serving them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.connector.contracts import SourceConnector
from core.declarative.connector import file_source
from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA
from core.sandbox.fleet import sandbox_class

PEOPLE_RECORD = {
    "id": "{number:d}",
    "employee_number": "{employee_id}",
    "first_name": "{given_name}",
    "last_name": "{family_name}",
    "email": "{email}",
    "status": {"from": "status", "map": {"terminated": "inactive"}, "default": "active"},
    "updated_at": "{changed_at:%Y-%m-%dT%H:%M:%SZ}",
}


def definition(**overrides: Any) -> dict[str, Any]:
    """A small people API: API-key header, offset paging, `since` filtering."""
    document: dict[str, Any] = {
        "version": 1,
        "name": "people_api",
        "title": "People API",
        "base_url": "https://people.example.org/{config.tenant}/v1/",
        "config": {"tenant": {"example": "acme"}, "api_key": {"secret": True}},
        "auth": {"type": "api_key", "header": "X-API-Key", "value": "{config.api_key}"},
        "streams": {
            "people": {
                "request": {"path": "people"},
                "records": "data",
                "primary_key": ["id"],
                "paginator": {"type": "offset", "limit": 10, "total_path": "total"},
                "since": {"param": "updated_since", "cursor_field": "updated_at"},
            }
        },
        "sandbox": {"streams": {"people": {"record": PEOPLE_RECORD}}},
    }
    for key, value in overrides.items():
        document[key] = value
    return document


@pytest.fixture
def write_definition(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def write(document: dict[str, Any] | str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"source{next(counter)}.yaml")
        text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


class Served:
    """A connector class, its running fixture sandbox and connectors made against it."""

    def __init__(self, cls: type[SourceConnector], sandbox: Sandbox) -> None:
        self.cls, self.sandbox = cls, sandbox
        self.made: list[SourceConnector] = []

    def connector(self, instance: str = "people", **overrides: Any) -> Any:
        config = self.cls.config_model.model_validate({**self.sandbox.instance_config(), **overrides})
        connector = self.cls(config, instance=instance)
        self.made.append(connector)
        return connector


@pytest.fixture
def serve(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def make(source: type[SourceConnector] | Path, *, scale: int = 23) -> Served:
        cls = source if isinstance(source, type) else file_source(source)
        sandbox = start_sandbox_scaled(cls, sandbox_ca, tmp_path / f"sandbox{len(started)}", scale)
        served = Served(cls, sandbox)
        started.append(served)
        return served

    yield make
    for served in started:
        for connector in served.made:
            connector.close()
        served.sandbox.stop()


def start_sandbox_scaled(cls: type[SourceConnector], ca: SandboxCA, workdir: Path, scale: int) -> Sandbox:
    sandbox_cls = sandbox_class(cls)
    sandbox: Sandbox = sandbox_cls(seed=7, scale=scale, ca=ca, workdir=workdir)
    return sandbox.start()
