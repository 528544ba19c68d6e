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
    RecordRejected,
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
            "hire_date": {"type": "string", "format": "date"},
            "updated_at": {"type": "string"},
        },
    }

    def __init__(self, client: DirectoryClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        """People changed since the cursor, oldest change first; a checkpoint after each page.

        A person listed twice in one read (the API's paging shifted under a concurrent change) is
        passed on once; the second copy is rejected, so the operator sees it in quarantine.
        """
        cursor = (state or {}).get("cursor")
        seen: set[str] = set()
        for page in self.client.people_pages(cursor):
            for person in page["people"]:
                if person["id"] in seen:
                    yield RecordRejected(person, "listed twice in one read", key=str(person["id"]))
                    continue
                seen.add(person["id"])
                yield person
                cursor = max(cursor or "", person["updated_at"])
            if cursor:
                yield StateCheckpoint({"cursor": cursor})


class ExampleConnector(SourceConnector):
    type_name = "example"
    title = "Example people directory"
    config_model = ExampleConfig
    sandbox = "connectors.example.sandbox:ExampleSandbox"
    #: a template, not part of the demo organisation (`hub sandbox serve --only example` starts it)
    in_sandbox_fleet = False

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
        self.client.close()
