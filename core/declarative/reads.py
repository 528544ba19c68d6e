"""How a declarative stream reads, one small class per style:

- `ListingRead`: every record, every run (`full_snapshot`); a checkpoint after each page keeps the
  listing's position, and the last one resets it.
- `SinceRead`: the listing filtered by the cursor (`incremental`, or `delta` when records can say
  they are deleted). Without a cursor (first run, full refresh) the listing is a snapshot.
- `ChangesRead`: a changed-ids endpoint and one read per id (`delta`). The first round is the
  listing, as a snapshot; its cursor is the server's clock when the listing began.

Each checkpoint is yielded after the records it covers, never before; a listing interrupted mid-way
resumes at its saved page without starting a second snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.connector.contracts import (
    ReadItem,
    RecordDeleted,
    RecordRejected,
    SnapshotCompleted,
    SnapshotStarted,
    StateCheckpoint,
)
from core.declarative.definition import DeletedDef, StreamDef
from core.declarative.http import Fetcher, Page, server_moment
from core.declarative.select import format_moment, later, moment, select, value_at

if TYPE_CHECKING:
    from core.declarative.streams import DeclarativeStream

State = dict[str, Any]


def is_deleted(entry: dict[str, Any], rule: DeletedDef | None) -> bool:
    return rule is not None and entry.get(rule.field) in rule.values()


def shifted(cursor: Any, seconds: int) -> Any:
    """The cursor moved back by a look-back window, in its own format."""
    when = moment(cursor)
    if not seconds or when is None:
        return cursor
    earlier = when - timedelta(seconds=seconds)
    return format_moment(earlier, "unix" if str(cursor).strip().isdigit() else "iso8601")


def _compact(state: State) -> State:
    return {k: v for k, v in state.items() if v is not None}


class _Read:
    def __init__(self, stream: DeclarativeStream, spec: StreamDef, fetcher: Fetcher) -> None:
        self.stream = stream
        self.spec = spec
        self.fetcher = fetcher

    def listing(self, params: dict[str, Any], resume: Any) -> Iterator[Page]:
        return self.fetcher.pages(self.spec.request, self.spec.paginator, self.spec.records, params, resume)

    def emit(self, entries: list[Any], seen: set[str], *, live_only: bool) -> Iterator[ReadItem]:
        """Records of one page: follow-up reads, deletions, duplicates rejected, the source's transform."""
        for entry in entries:
            if not isinstance(entry, dict):
                yield RecordRejected({"value": entry}, f"{self.stream.name}: an entry is not a JSON object")
                continue
            record = entry
            if self.spec.detail is not None:
                record_id = entry.get(self.spec.detail.id_field)
                if record_id is None or record_id == "":
                    yield RecordRejected(
                        entry, "no id to read the record by", field=self.spec.detail.id_field
                    )
                    continue
                read = self.fetcher.detail(self.spec.detail, str(record_id))
                if read is None:  # gone between the listing and the read: absent from the snapshot
                    continue
                record = read
            yield from self.one(record, seen, live_only=live_only)

    def one(self, record: dict[str, Any], seen: set[str], *, live_only: bool) -> Iterator[ReadItem]:
        try:
            key = self.stream.record_key(record)
        except KeyError:
            yield record  # the engine quarantines a record without its key, naming the field
            return
        if is_deleted(record, self.spec.deleted):
            if not live_only:
                yield RecordDeleted(key)
            return
        if key in seen:
            yield RecordRejected(
                record, f"key {key} was listed twice in one read; the first one is kept", key=key
            )
            return
        seen.add(key)
        transformed = self.stream.source.transform(self.stream.name, record)
        if transformed is not None:
            yield transformed


class ListingRead(_Read):
    def read(self, state: State | None) -> Iterator[ReadItem]:
        seen: set[str] = set()
        last: Page | None = None
        for page in self.listing({}, (state or {}).get("page")):
            yield from self.emit(page.records, seen, live_only=True)
            last = page
            if page.next_token is not None:
                yield StateCheckpoint({"page": page.next_token})
        listed_at = server_moment(last.response) if last is not None else None
        yield StateCheckpoint(_compact({"completed_at": listed_at.isoformat() if listed_at else None}))


class SinceRead(_Read):
    def read(self, state: State | None) -> Iterator[ReadItem]:
        since = self.spec.since
        assert since is not None
        state = state or {}
        cursor, resume = state.get("cursor"), state.get("page")
        initial = cursor is None
        params = {} if initial else {since.param: shifted(cursor, since.lookback_seconds)}
        if initial and resume is None:
            yield SnapshotStarted()
        high = state.get("high", cursor)
        seen: set[str] = set()
        for page in self.listing(params, resume):
            for item in self.emit(page.records, seen, live_only=initial):
                if isinstance(item, dict):
                    high = later(high, item.get(since.cursor_field))
                yield item
            if page.next_token is not None:
                yield StateCheckpoint(_compact({"cursor": cursor, "page": page.next_token, "high": high}))
        if initial:
            yield SnapshotCompleted()
        yield StateCheckpoint(_compact({"cursor": high}))


class ChangesRead(_Read):
    def read(self, state: State | None) -> Iterator[ReadItem]:
        state = state or {}
        if state.get("cursor") is None or state.get("listing"):
            yield from self.first_round(state)
        else:
            yield from self.changes_round(state["cursor"])

    def first_round(self, state: State) -> Iterator[ReadItem]:
        """The listing as a snapshot; the next round asks for changes since it began."""
        changes = self.spec.changes
        assert changes is not None
        start, resume = state.get("start"), state.get("page")
        if resume is None:
            yield SnapshotStarted()
        seen: set[str] = set()
        for page in self.listing({}, resume):
            if start is None:
                start = format_moment(server_moment(page.response), changes.since_format)
            yield from self.emit(page.records, seen, live_only=True)
            if page.next_token is not None:
                yield StateCheckpoint({"listing": True, "page": page.next_token, "start": start})
        yield SnapshotCompleted()
        yield StateCheckpoint(_compact({"cursor": start}))

    def changes_round(self, cursor: Any) -> Iterator[ReadItem]:
        changes, detail = self.spec.changes, self.spec.detail
        assert changes is not None and detail is not None
        since = shifted(cursor, changes.lookback_seconds)
        body, _ = self.fetcher.body(changes, {changes.since_param: since})
        where = f"{self.stream.name}: {changes.method} {changes.path}"
        newest = cursor
        seen: set[str] = set()
        done: set[str] = set()
        for entry in select(body, changes.records, where=where):
            if not isinstance(entry, dict) or entry.get(changes.id_field) in (None, ""):
                yield RecordRejected(
                    {"value": entry}, f"{where}: a change entry without {changes.id_field!r}"
                )
                continue
            record_id = str(entry[changes.id_field])
            if changes.cursor_field:
                newest = later(newest, entry.get(changes.cursor_field))
            if record_id in done:
                continue  # the same record named twice: it is read once, as it is now
            done.add(record_id)
            if is_deleted(entry, changes.deleted):
                yield RecordDeleted(record_id)
                continue
            record = self.fetcher.detail(detail, record_id)
            if record is None:
                yield RecordDeleted(record_id, reason="changed, then not found")
                continue
            yield from self.one(record, seen, live_only=False)
        if changes.cursor_path:
            newest = later(newest, value_at(body, changes.cursor_path))
        yield StateCheckpoint(_compact({"cursor": newest}))
