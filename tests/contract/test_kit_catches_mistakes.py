"""The contract kit catches the mistakes a new connector makes: each test builds a connector with
one mistake, shows the kit check fails on it naming the mistake, and passes on the correct one.

The correct connector is a declarative source over the generic fixture sandbox
(`fixtures/people_api.yaml`); each mistake is a Python subclass that changes what its stream
yields, the way a hand-written `read()` goes wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field, create_model

from core.connector.contracts import (
    ReadItem,
    RecordDeleted,
    RecordRejected,
    SnapshotCompleted,
    SnapshotStarted,
    SourceConnector,
    StateCheckpoint,
    Stream,
)
from core.declarative.config import DeclarativeConfig
from core.declarative.connector import DeclarativeSource, file_source
from core.declarative.sandbox.dataset import Table
from core.sandbox.ca import SandboxCA
from core.testing.contract_kit import KitContext, start_sandbox
from core.testing.kit_cursors import cursor_moves_forward_only, every_checkpoint_covers_its_records
from core.testing.kit_records import (
    delta_streams_report_deletions,
    duplicates_are_rejected_not_dropped,
    no_key_twice_in_one_read,
    secret_shaped_settings_are_secrets,
    snapshot_markers_are_paired,
)

FIXTURES = Path(__file__).parent / "fixtures"
Mistake = Callable[[Iterator[ReadItem]], Iterator[ReadItem]]


class PeopleApi(DeclarativeSource):
    """The correct connector."""

    definition_file = FIXTURES / "people_api.yaml"


def with_mistake(stream_name: str, mistake: Mistake, **stream_attributes: Any) -> type[SourceConnector]:
    """PeopleApi with one stream's read passed through `mistake` (and its class attributes changed)."""

    def wrap(stream: Stream) -> Stream:
        base = type(stream)

        def read(self: Stream, state: dict[str, Any] | None, partition: dict[str, str]) -> Iterator[ReadItem]:
            return mistake(base.read(self, state, partition))

        cls = type(f"Mistaken{base.__name__}", (base,), {"read": read, **stream_attributes})
        return cls(stream.source)  # type: ignore[attr-defined, no-any-return]

    class Mistaken(PeopleApi):
        def streams(self) -> list[Stream]:
            return [wrap(s) if s.name == stream_name else s for s in super().streams()]

    return Mistaken


@pytest.fixture
def kit_for(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[Callable[[type[SourceConnector]], KitContext]]:
    """A fresh fixture sandbox per connector (the checks change its data)."""
    started = []

    def make(cls: type[SourceConnector]) -> KitContext:
        sandbox = start_sandbox(cls, sandbox_ca, tmp_path / f"sandbox{len(started)}")
        started.append(sandbox)
        return KitContext(cls, sandbox)

    yield make
    for sandbox in started:
        sandbox.stop()


def fails(check: Callable[[KitContext], None], ctx: KitContext, *words: str) -> str:
    with pytest.raises(AssertionError) as caught:
        check(ctx)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


# -- 1. a credential typed str ------------------------------------------------------------------


def test_an_api_key_typed_str_is_caught(kit_for: Callable[..., KitContext]) -> None:
    config = create_model("StrKeyConfig", __base__=DeclarativeConfig, api_key=(str, Field()))
    mistaken = type("StrKey", (PeopleApi,), {"config_model": config})
    fails(secret_shaped_settings_are_secrets, kit_for(mistaken), "'api_key'", "Secret")
    secret_shaped_settings_are_secrets(kit_for(PeopleApi))


def test_a_credential_with_an_innocent_name_is_caught_by_its_repr(
    kit_for: Callable[..., KitContext], tmp_path: Path
) -> None:
    """Named `key`, the field escapes the name check; its value printed by `repr` does not."""
    text = (FIXTURES / "people_api.yaml").read_text(encoding="utf-8")
    definition = tmp_path / "people_api.yaml"
    definition.write_text(
        text.replace("  api_key: {secret", "  key: {secret").replace("{config.api_key}", "{config.key}"),
        encoding="utf-8",
    )
    correct = file_source(definition)
    config = create_model("KeyConfig", __base__=DeclarativeConfig, key=(str, Field()))
    mistaken = type("StrKey", (correct,), {"config_model": config})
    fails(secret_shaped_settings_are_secrets, kit_for(mistaken), "'key'", "repr")
    secret_shaped_settings_are_secrets(kit_for(correct))


# -- 2. a key twice in a full-snapshot read -----------------------------------------------------


def overlap_pages(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    """Each new page starts with the last record of the page before (an off-by-one offset)."""
    last: dict[str, Any] | None = None
    for item in items:
        if isinstance(item, dict):
            last = item
        yield item
        if isinstance(item, StateCheckpoint) and last is not None:
            yield dict(last)


def test_a_key_twice_in_a_full_snapshot_stream_is_caught(kit_for: Callable[..., KitContext]) -> None:
    mistaken = with_mistake("devices", overlap_pages)
    fails(no_key_twice_in_one_read, kit_for(mistaken), "devices (full_snapshot)", "twice")
    no_key_twice_in_one_read(kit_for(PeopleApi))


# -- 3. snapshot markers missing or unpaired ----------------------------------------------------


def without_markers(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    return (i for i in items if not isinstance(i, (SnapshotStarted, SnapshotCompleted)))


def never_completed(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    return (i for i in items if not isinstance(i, SnapshotCompleted))


def completed_after_the_checkpoint(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    held = None
    for item in items:
        if isinstance(item, SnapshotCompleted):
            held = item
            continue
        yield item
    if held is not None:
        yield held


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        (without_markers, "yields no SnapshotStarted"),
        (never_completed, "still open"),
        (completed_after_the_checkpoint, "no checkpoint after SnapshotCompleted"),
    ],
    ids=["missing", "unpaired", "completed-after-checkpoint"],
)
def test_missing_or_unpaired_snapshot_markers_are_caught(
    kit_for: Callable[..., KitContext], mistake: Mistake, words: str
) -> None:
    fails(snapshot_markers_are_paired, kit_for(with_mistake("people", mistake)), "people", words)
    snapshot_markers_are_paired(kit_for(PeopleApi))


# -- 4. deletions dropped -----------------------------------------------------------------------


def without_deletions(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    return (i for i in items if not isinstance(i, RecordDeleted))


def test_deletions_silently_dropped_are_caught(kit_for: Callable[..., KitContext]) -> None:
    fails(
        delta_streams_report_deletions, kit_for(with_mistake("people", without_deletions)), "no RecordDeleted"
    )
    delta_streams_report_deletions(kit_for(PeopleApi))


# -- 5. duplicates dropped without a rejection --------------------------------------------------


def without_rejections(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    return (i for i in items if not isinstance(i, RecordRejected))


def test_duplicates_dropped_without_a_rejection_are_caught(kit_for: Callable[..., KitContext]) -> None:
    fails(
        duplicates_are_rejected_not_dropped, kit_for(with_mistake("people", without_rejections)), "vanished"
    )
    duplicates_are_rejected_not_dropped(kit_for(PeopleApi))


def passes_duplicates_on(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    for item in items:
        yield item.record if isinstance(item, RecordRejected) else item


def test_a_duplicate_passed_on_twice_is_caught(kit_for: Callable[..., KitContext]) -> None:
    mistaken = with_mistake("devices", passes_duplicates_on)
    fails(duplicates_are_rejected_not_dropped, kit_for(mistaken), "passed on twice")


# -- 6. a checkpoint before its records ---------------------------------------------------------


def checkpoint_first(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    """Each checkpoint yielded before the records it covers (the cursor computed per page first)."""
    pending: list[ReadItem] = []
    for item in items:
        if isinstance(item, StateCheckpoint):
            yield item
            yield from pending
            pending = []
        else:
            pending.append(item)
    yield from pending


def test_a_checkpoint_before_its_records_is_caught(kit_for: Callable[..., KitContext]) -> None:
    fails(
        every_checkpoint_covers_its_records, kit_for(with_mistake("people", checkpoint_first)), "lost records"
    )
    every_checkpoint_covers_its_records(kit_for(PeopleApi))


def test_a_checkpoint_before_its_records_is_caught_on_a_read_of_changes(
    kit_for: Callable[..., KitContext],
) -> None:
    """The changes round has one checkpoint, after the records; moving it first loses all but the
    newest change, which the kit sees because every record has its own change time."""
    bamboohr = file_source(Path(__file__).parents[2] / "connectors" / "bamboohr" / "source.yaml")

    def only_in_changes(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
        listed = list(items)
        first_round = any(isinstance(i, SnapshotStarted) for i in listed)
        return iter(listed) if first_round else checkpoint_first(iter(listed))

    class Mistaken(bamboohr):  # type: ignore[valid-type, misc]
        def streams(self) -> list[Stream]:
            (stream,) = super().streams()
            base = type(stream)
            cls = type("Mistaken", (base,), {"read": lambda s, st, p: only_in_changes(base.read(s, st, p))})
            return [cls(self)]

    fails(every_checkpoint_covers_its_records, kit_for(Mistaken), "a read of changes", "lost records")
    every_checkpoint_covers_its_records(kit_for(bamboohr))


def test_records_sharing_one_change_time_cannot_pass_for_a_proof(
    kit_for: Callable[..., KitContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every record stamped alike a checkpoint that runs ahead goes unseen, so the kit says
    the sandbox must vary them instead of passing."""
    ctx = kit_for(PeopleApi)
    for table in ctx.sandbox.tables.values():  # type: ignore[attr-defined]
        moment = next(iter(table.rows.values())).changed_at
        for row in table.rows.values():
            row.changed_at = moment
    monkeypatch.setattr(Table, "stamp", lambda self: moment)
    fails(every_checkpoint_covers_its_records, ctx, "the same 'updated_at'", "distinct change times")


# -- 7. the cursor goes back, under a state key not called "cursor" -----------------------------


def per_page_cursor(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    """Keeps the cursor as `since` and sets it to the newest record of the page just read, not of
    everything read so far: a listing in key order then moves it backwards."""
    newest: str | None = None
    for item in items:
        if isinstance(item, dict):
            newest = max(newest or "", str(item["updated_at"]))
        if isinstance(item, StateCheckpoint):
            state = {k: v for k, v in item.state.items() if k not in ("cursor", "high")}
            item = StateCheckpoint({**state, "since": newest} if newest else state)
            newest = None
        yield item


def reads_since(items_of: Callable[..., Iterator[ReadItem]]) -> Callable[..., Iterator[ReadItem]]:
    def read(self: Stream, state: dict[str, Any] | None, partition: dict[str, str]) -> Iterator[ReadItem]:
        inner = dict(state or {})
        if "since" in inner:
            inner["cursor"] = inner.pop("since")
        return per_page_cursor(items_of(self, inner or None, partition))

    return read


def test_a_cursor_going_back_under_another_state_key_is_caught(kit_for: Callable[..., KitContext]) -> None:
    base = next(c for c in PeopleApi.stream_classes() if c.name == "people")

    class Mistaken(PeopleApi):
        def streams(self) -> list[Stream]:
            cls = type("SinceStream", (base,), {"read": reads_since(base.read), "cursor_state_key": "since"})
            return [cls(self) if s.name == "people" else s for s in super().streams()]

    fails(cursor_moves_forward_only, kit_for(Mistaken), "'since'", "went back")
    cursor_moves_forward_only(kit_for(PeopleApi))


def test_a_cursor_kept_under_an_undeclared_key_is_caught(kit_for: Callable[..., KitContext]) -> None:
    """Without `cursor_state_key` the kit looks for "cursor" and says so, rather than skipping."""
    base = next(c for c in PeopleApi.stream_classes() if c.name == "people")

    class Mistaken(PeopleApi):
        def streams(self) -> list[Stream]:
            cls = type("SinceStream", (base,), {"read": reads_since(base.read)})
            return [cls(self) if s.name == "people" else s for s in super().streams()]

    fails(cursor_moves_forward_only, kit_for(Mistaken), "has no 'cursor'", "cursor_state_key")
