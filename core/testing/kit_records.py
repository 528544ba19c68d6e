"""Contract-kit checks of what a read yields: secrets in the config, record shapes, keys seen
once, snapshot markers in pairs, deletions reported, duplicates rejected rather than dropped.

Each check is a function of a `KitContext` that raises AssertionError naming the stream and the
mistake, or `NotApplicable` when the connector has nothing of the kind."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from core.connector.contracts import ReadItem, SnapshotCompleted, SnapshotStarted, StateCheckpoint
from core.secrets import Secret
from core.testing.kit_context import (
    KitContext,
    NotApplicable,
    read_all,
    read_items,
    records_of,
    rejected_of,
)

#: text config fields named like a credential (a `_url`, `_path`, `_id` or `_scope` is not one)
SECRET_SHAPED = re.compile(
    r"(^|_)(secret|password|passwd|passphrase|token|api_?key|private_?key|credentials?|certificate)(_|$)",
    re.I,
)
NOT_SECRET = re.compile(
    r"(_url|_uri|_path|_file|_id|_ids|_name|_header|_type|_field|_scope|_thumbprint|_seconds)$", re.I
)


def config_schema_marks_secrets(ctx: KitContext) -> None:
    schema = ctx.connector_cls.config_model.model_json_schema()
    text = json.dumps(schema)
    secret_fields = [
        n for n, f in ctx.connector_cls.config_model.model_fields.items() if "Secret" in str(f.annotation)
    ]
    for name in secret_fields:
        prop = schema["properties"][name]
        assert prop.get("writeOnly") or "writeOnly" in json.dumps(prop), (
            f"secret field {name!r} not writeOnly"
        )
    assert "writeOnly" in text or not secret_fields


def secret_shaped_settings_are_secrets(ctx: KitContext) -> None:
    """A credential typed `str` prints in `repr`, logs and tracebacks: it must be `Secret`."""
    model = ctx.connector_cls.config_model
    for name, spec in model.model_fields.items():
        text = "str" in str(spec.annotation) or "Secret" in str(spec.annotation)
        if text and SECRET_SHAPED.search(name) and not NOT_SECRET.search(name):
            assert "Secret" in str(spec.annotation), (
                f"config field {name!r} looks like a credential but is typed {spec.annotation}; "
                "type it core.secrets.Secret"
            )
    connector = ctx.connector()
    shown = f"{connector.config!r} {connector.config} {connector.config.model_dump_json()}"
    credentials = set(ctx.sandbox.bad_credentials())  # type: ignore[attr-defined]
    for name in model.model_fields:
        value = getattr(connector.config, name)
        secret = value.reveal() if isinstance(value, Secret) else value
        if (
            (name in credentials or isinstance(value, Secret))
            and isinstance(secret, str)
            and len(secret) >= 4
        ):
            assert secret not in shown, f"config field {name!r}: its value shows in the config's repr or JSON"


def records_match_declared_schema(ctx: KitContext) -> None:
    connector = ctx.connector()
    for stream in connector.streams():
        validator = jsonschema.Draft202012Validator(stream.schema)
        for partition in stream.partitions()[:2]:
            records, _, _ = read_all(stream, None, partition)
            for record in records:
                errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
                assert not errors, f"{stream.name}: record does not match its schema: {errors[0].message}"
                stream.record_key(record)


def no_key_twice_in_one_read(ctx: KitContext) -> None:
    """In every mode: a key the engine sees twice in one read is a paging overlap or a source
    duplicate passed on; either must not reach the store as two versions of one record."""
    connector = ctx.connector()
    for stream in connector.streams():
        partition = stream.partitions()[0]
        state: dict[str, Any] | None = None
        for round_ in ("first", "second"):
            if round_ == "second" and stream.mode == "full_snapshot":
                break
            items = read_items(stream, state, partition)
            keys = [stream.record_key(r) for r in records_of(items)]
            twice = sorted({k for k in keys if keys.count(k) > 1})
            assert not twice, (
                f"{stream.name} ({stream.mode}): the {round_} read yielded key(s) twice: {twice[:3]}"
            )
            state = next((i.state for i in reversed(items) if isinstance(i, StateCheckpoint)), state)


def snapshot_markers_are_paired(ctx: KitContext) -> None:
    """`SnapshotStarted`/`SnapshotCompleted` come in pairs around records, the pair closed before
    the checkpoint that moves past the listing; a delta stream's first read is such a listing."""
    connector = ctx.connector()
    for stream in connector.streams():
        items = read_items(stream, None, stream.partitions()[0])
        _check_pairs(stream.name, items)
        if stream.mode == "delta":
            opened = [i for i in items if isinstance(i, SnapshotStarted)]
            assert opened, (
                f"{stream.name} (delta): the first read lists every live record but yields no "
                "SnapshotStarted/SnapshotCompleted, so records missing from it are never noticed"
            )
            inside = False
            for item in items:
                inside = (
                    True
                    if isinstance(item, SnapshotStarted)
                    else False
                    if isinstance(item, SnapshotCompleted)
                    else inside
                )
                assert inside or not isinstance(item, dict), (
                    f"{stream.name} (delta): a record of the first read outside its snapshot"
                )


def _check_pairs(name: str, items: list[ReadItem]) -> None:
    open_ = False
    for position, item in enumerate(items):
        if isinstance(item, SnapshotStarted):
            assert not open_, f"{name}: SnapshotStarted at item {position} while a snapshot is open"
            open_ = True
        elif isinstance(item, SnapshotCompleted):
            assert open_, f"{name}: SnapshotCompleted at item {position} without a SnapshotStarted"
            open_ = False
            following = items[position + 1 :]
            assert any(isinstance(i, StateCheckpoint) for i in following), (
                f"{name}: no checkpoint after SnapshotCompleted: a crash there loses the completion"
            )
    assert not open_, f"{name}: a read ended with its snapshot still open (SnapshotCompleted missing)"


def delta_streams_report_deletions(ctx: KitContext) -> None:
    """After the sandbox deletes a record, the next read of a delta stream says so."""
    connector = ctx.connector()
    deltas = [s for s in connector.streams() if s.mode == "delta"]
    if not deltas:
        raise NotApplicable("no delta stream")
    delete = ctx.hook("kit_delete")
    assert delete is not None, (
        f"{ctx.sandbox.name}: the sandbox needs kit_delete(stream) -> key for the delta stream(s) "
        f"{', '.join(s.name for s in deltas)}"
    )
    for stream in deltas:
        partition = stream.partitions()[0]
        _, _, state = read_all(stream, None, partition)
        with ctx.sandbox.lock:
            key = delete(stream.name)
        _, deleted, _ = read_all(stream, state, partition)
        assert key in deleted, (
            f"{stream.name} (delta): the sandbox deleted {key} but the next read reported no RecordDeleted "
            f"for it (deleted: {deleted[:5]})"
        )


def duplicates_are_rejected_not_dropped(ctx: KitContext) -> None:
    """A record the source lists twice is passed on once and the other yielded as RecordRejected:
    dropping it with a log line hides a source problem the operator must see (quarantine)."""
    duplicate = ctx.hook("kit_duplicate")
    if duplicate is None:
        raise NotApplicable(f"{ctx.sandbox.name}: the sandbox has no kit_duplicate(stream) hook")
    connector = ctx.connector()
    tried = 0
    for stream in connector.streams():
        with ctx.sandbox.lock:
            key = duplicate(stream.name)
        if key is None:
            continue
        tried += 1
        items = read_items(stream, None, stream.partitions()[0])
        keys = [stream.record_key(r) for r in records_of(items)]
        rejected = [r.key or _key(stream, r.record) for r in rejected_of(items)]
        assert keys.count(key) <= 1, f"{stream.name}: the duplicate of {key} was passed on twice"
        assert key in rejected, (
            f"{stream.name}: the sandbox listed {key} twice; one was passed on and the other vanished "
            "(yield RecordRejected(record, reason, key=...) so it is quarantined)"
        )
    if not tried:
        raise NotApplicable("no stream whose listing can carry a key twice")


def _key(stream: Any, record: dict[str, Any]) -> str | None:
    try:
        return str(stream.record_key(record))
    except KeyError:
        return None
