"""Reading one person's records from a source instance, without touching its cursors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.connector.contracts import Partition, SourceConnector, partition_id
from core.errors import ConfigError, RecordError
from core.store.records import StagedRecord, content_hash

if TYPE_CHECKING:
    from core.hub import Hub
    from core.mapping.stream import StreamMapping

#: the canonical field that names a person in every mapping that can (workers, employees, users)
PERSON_FIELD = "employee_id"


@dataclass(frozen=True)
class FoundRecord:
    """One source record of the person: where it came from and what the mapping made of it."""

    stream: str
    partition: str
    record: StagedRecord | None
    #: why the record cannot be staged (its mapping failed); None when it can
    problem: str | None = None


def person_streams(hub: Hub, instance: str, only: list[str] | None = None) -> list[StreamMapping]:
    """The instance's enabled streams whose mapping carries an employee id (or `only` these)."""
    connector_type = hub.config.instance(instance).type
    policy = hub.config.instance(instance).stream_policy
    mappings = [m for m in hub.mappings.for_connector(connector_type) if policy(m.stream).enabled]
    if only:
        unknown = sorted(set(only) - {m.stream for m in mappings})
        if unknown:
            raise ConfigError(
                f"instance {instance} has no mapped stream {', '.join(unknown)}",
                hint=f"its mapped streams: {', '.join(m.stream for m in mappings) or 'none'}",
            )
        return [m for m in mappings if m.stream in only]
    return [m for m in mappings if any(f.name == PERSON_FIELD for f in m.fields)]


def read_person(
    hub: Hub, instance: str, employee_id: str, streams: list[str] | None = None
) -> tuple[list[FoundRecord], dict[str, int]]:
    """Every record of `employee_id` in the instance's person streams, and how many records each
    stream listed. Reads each stream from the start (no saved state) and keeps only the
    person's records, so memory stays flat whatever the source's size."""
    connector = hub.connector(instance)
    if not isinstance(connector, SourceConnector):
        raise ConfigError(f"{instance} is a {connector.type_name} ticket sink, not a source")
    wanted = employee_id.strip().upper()
    found: list[FoundRecord] = []
    listed: dict[str, int] = {}
    for mapping in person_streams(hub, instance, streams):
        stream = connector.stream(mapping.stream)
        listed[mapping.stream] = 0
        for partition in stream.partitions():
            for record in _records(stream.read(None, partition)):
                listed[mapping.stream] += 1
                hit = _match(stream, mapping, record, partition, wanted)
                if hit is not None:
                    found.append(hit)
    return found, listed


def _records(items: Iterator[Any]) -> Iterator[dict[str, Any]]:
    """Records only: checkpoints, deletions and snapshot markers are the scheduled sync's."""
    for item in items:
        if isinstance(item, dict):
            yield item


def _match(
    stream: Any, mapping: StreamMapping, record: dict[str, Any], partition: Partition, wanted: str
) -> FoundRecord | None:
    try:
        fragment = mapping.apply(record)
    except RecordError as exc:
        # unmappable: it is the person's when one of its values is the employee id as such
        if not any(str(v).strip().upper() == wanted for v in record.values() if isinstance(v, str | int)):
            return None
        return FoundRecord(mapping.stream, partition_id(partition), None, f"{exc.field}: {exc.message}")
    if fragment is None or str(fragment.fields.get(PERSON_FIELD) or "").upper() != wanted:
        return None
    key = stream.record_key(record)
    staged = StagedRecord(
        key, record, fragment.entity, fragment.fields, content_hash(record, fragment.fields)
    )
    return FoundRecord(mapping.stream, partition_id(partition), staged)
