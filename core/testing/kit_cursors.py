"""Contract-kit checks of state: incremental reads do not repeat themselves, the declared cursor
never goes back (whatever the state key is called), every checkpoint covers the records before it
(tested with records that carry distinct change times), and a 429 is waited out."""

from __future__ import annotations

import itertools
from typing import Any

from core.connector.contracts import Stream
from core.declarative.select import moment
from core.sandbox.faults import Throttle
from core.testing.kit_context import (
    KitContext,
    NotApplicable,
    before,
    changing_streams,
    checkpoints_of,
    cursor_key,
    read_all,
    read_items,
    records_of,
)

#: records the sandbox changes for the checks that need changes to read
CHANGED = 5
#: crash points tried per read (after the 1st, 2nd and 3rd checkpoint)
CRASH_POINTS = 3


def _last_state(items: list[Any], fallback: dict[str, Any] | None) -> dict[str, Any] | None:
    states = checkpoints_of(items)
    return states[-1] if states else fallback


def _same_moment(a: Any, b: Any) -> bool:
    ma, mb = moment(a), moment(b)
    return ma == mb if ma is not None and mb is not None else str(a) == str(b)


def _change(ctx: KitContext, stream: Stream) -> list[str] | None:
    change = ctx.hook("kit_change")
    if change is None:
        return None
    with ctx.sandbox.lock:
        return [str(k) for k in change(stream.name, CHANGED)]


def incremental_reads_twice_without_duplicates(ctx: KitContext) -> None:
    """A read from the last state returns only what changed since (records at the cursor itself
    may come again from an inclusive `since`); changed records do come back."""
    streams = changing_streams(ctx.connector())
    if not streams:
        raise NotApplicable("no incremental or delta stream")
    for stream in streams:
        partition = stream.partitions()[0]
        first = read_items(stream, None, partition)
        state1 = _last_state(first, None)
        second = read_items(stream, state1, partition)
        boundary = (state1 or {}).get(cursor_key(stream))
        keys1 = {stream.record_key(r) for r in records_of(first)}
        repeated = sorted(
            stream.record_key(r)
            for r in records_of(second)
            if stream.record_key(r) in keys1
            and not (
                stream.cursor_field
                and boundary is not None
                and _same_moment(r.get(stream.cursor_field), boundary)
            )
        )
        assert not repeated, f"{stream.name}: unchanged records read again: {repeated[:3]}"
        changed = _change(ctx, stream)
        if changed is None:
            continue
        third = read_items(stream, _last_state(second, state1), partition)
        got = {stream.record_key(r) for r in records_of(third)}
        missed = sorted(set(changed) - got)
        assert not missed, f"{stream.name}: records the sandbox changed were not read again: {missed[:3]}"


def cursor_moves_forward_only(ctx: KitContext) -> None:
    """The cursor (`cursor_field`'s position, kept under the stream's `cursor_state_key`) never
    goes back: within a read, from the state a read started from, or from one read to the next.
    Records changed first, so a listing's key order and change order differ."""
    streams = [s for s in changing_streams(ctx.connector()) if s.cursor_field]
    if not streams:
        raise NotApplicable("no incremental or delta stream declares a cursor_field")
    for stream in streams:
        key = cursor_key(stream)
        partition = stream.partitions()[0]
        _change(ctx, stream)
        state: dict[str, Any] | None = None
        for round_ in ("first", "second", "third"):
            items = read_items(stream, state, partition)
            positions = [(state or {}).get(key)] + [c.get(key) for c in checkpoints_of(items)]
            final = _last_state(items, state)
            if records_of(items) or state:
                assert final is not None and final.get(key) is not None, (
                    f"{stream.name}: the {round_} read's last checkpoint {final} has no {key!r}; the cursor "
                    f"follows {stream.cursor_field!r}: keep it under the stream's cursor_state_key"
                )
            known = [p for p in positions if p is not None]
            for earlier, later in itertools.pairwise(known):
                assert not before(later, earlier), (
                    f"{stream.name}: the cursor {key!r} went back from {earlier} to {later} in the {round_} read"
                )
            state = final
            if round_ == "first":
                _change(ctx, stream)


def every_checkpoint_covers_its_records(ctx: KitContext) -> None:
    """A crash right after any checkpoint, then a read from it, loses nothing: a checkpoint never
    comes before the records it covers. Change times must differ between records (or a cursor that
    runs ahead still finds them all), and changes made after a first read are tried the same way."""
    connector = ctx.connector()
    for stream in connector.streams():
        partition = stream.partitions()[0]
        full = read_items(stream, None, partition)
        values = {r.get(stream.cursor_field) for r in records_of(full)} if stream.cursor_field else set()
        if values and all(moment(v) is not None for v in values):  # a change time, not a file name
            assert len(records_of(full)) < 2 or len(values) > 1, (
                f"{stream.name}: every record has the same {stream.cursor_field!r}; the sandbox must give "
                "records distinct change times, or a checkpoint that runs ahead of its records goes unseen"
            )
        _resumes(stream, None, full, partition)
        if stream.mode in ("incremental", "delta") and _change(ctx, stream) is not None:
            state = _last_state(full, None)
            _resumes(stream, state, read_items(stream, state, partition), partition)


def _resumes(
    stream: Stream, state: dict[str, Any] | None, full: list[Any], partition: dict[str, str]
) -> None:
    want = {stream.record_key(r) for r in records_of(full)}
    count = len(checkpoints_of(full))
    for crash_after in range(1, min(count, CRASH_POINTS) + 1):
        head = read_items(stream, state, partition, stop_after_checkpoints=crash_after)
        tail, _, _ = read_all(stream, _last_state(head, state), partition)
        got = {stream.record_key(r) for r in records_of(head)} | {stream.record_key(r) for r in tail}
        lost = sorted(want - got)
        where = "the first read" if state is None else "a read of changes"
        assert not lost, (
            f"{stream.name}: a crash after checkpoint {crash_after} of {where} lost records {lost[:3]}: "
            "a checkpoint came before the records it covers"
        )


def throttling_is_waited_out(ctx: KitContext) -> None:
    connector = ctx.connector()
    stream = connector.streams()[0]
    fault = Throttle(path=ctx.sandbox.throttle_path, retry_after=1, times=1)  # type: ignore[attr-defined]
    ctx.sandbox.arm(fault)
    records, _, _ = read_all(stream, None, stream.partitions()[0])
    assert fault.times == 0, "the armed 429 never fired: throttle_path does not match any request"
    assert records, "no records after the 429 was waited out"
