"""The example directory connector: one incremental stream of people."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from connectors.example.client import DirectoryClient
from connectors.example.config import ExampleConfig
from core.connector.contracts import (
    CheckResult,
    Partition,
    ReadItem,
    SourceConnector,
    StateCheckpoint,
    Stream,
)
from core.errors import HubError


class PeopleStream(Stream):
    name = "people"
    primary_key = ("id",)
    cursor_field = "updated_at"
    mode = "incremental"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "employee_number", "updated_at"],
        "properties": {
            "id": {"type": "string"},
            "employee_number": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "department": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": ["active", "terminated"]},
            "updated_at": {"type": "string"},
        },
    }

    def __init__(self, client: DirectoryClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        cursor = (state or {}).get("cursor")
        for page in self.client.people_pages(cursor):
            for person in page["people"]:
                yield person
                cursor = max(cursor or "", person["updated_at"])
            if cursor:
                yield StateCheckpoint({"cursor": cursor})


class ExampleConnector(SourceConnector):
    type_name = "example"
    title = "Example people directory"
    config_model = ExampleConfig
    sandbox = "connectors.example.sandbox:ExampleSandbox"
    in_sandbox_fleet = False  # a template, not part of the demo organisation

    def __init__(self, config: ExampleConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.client = DirectoryClient(config)

    def check(self) -> CheckResult:
        try:
            self.client.auth.refresh()
            self.client.http.get_json("/api/people", params={"limit": 1})
        except HubError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"token issued and people readable at {self.client.config.base_url}")

    def streams(self) -> list[Stream]:
        return [PeopleStream(self.client)]

    def close(self) -> None:
        self.client.http.close()
