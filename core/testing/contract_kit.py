"""The source-connector contract kit: standard checks as data (after Meltano's testing suites).

Every connector registered in the `itsm_hub.connectors` entry-point group that is a
`SourceConnector` and declares a `sandbox` gets every check in `SOURCE_CHECKS`, run by
`tests/contract/test_source_contract.py`. Nothing to copy: register the connector, ship a
sandbox that defines

- `instance_config()`: config pointing at the running sandbox,
- `bad_credentials()`: config overrides the sandbox rejects,
- `throttle_path`: a regex of a request path the kit answers once with 429 + Retry-After,

and the kit proves: secrets are marked in the config schema; `check()` passes, and fails cleanly
(no exception, no secret in the message) with bad credentials; records match each stream's
declared schema; two incremental reads in a row produce no duplicates and a monotonic cursor;
an interrupted read resumes from the last checkpoint without losing records; a 429 with
Retry-After is waited out; a success answer with an HTML page or a cut-off body is retried, then
fails as one readable transient error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from core.connector.contracts import (
    Partition,
    SourceConnector,
    Stream,
)
from core.connector.registry import discover
from core.errors import HubError
from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import CutBody, HtmlPage, Throttle
from core.sandbox.fleet import sandbox_class
from core.secrets import Secret
from core.testing.reading import collect


class NotApplicable(Exception):
    """A check that does not apply to this connector (the test runner reports it skipped)."""


#: records read per stream by the kit (sandboxes are small at contract scale)
READ_LIMIT = 5_000


@dataclass
class KitContext:
    connector_cls: type[SourceConnector]
    sandbox: Sandbox

    def connector(self, **overrides: Any) -> SourceConnector:
        config = {**self.sandbox.instance_config(), **overrides}
        return self.connector_cls(self.connector_cls.config_model.model_validate(config), instance="contract")


def source_connectors_with_sandbox() -> list[tuple[str, type[SourceConnector]]]:
    """(type name, class) of every registered source connector that ships a sandbox."""
    found = []
    for entry in discover():
        cls = entry.cls
        if cls is not None and issubclass(cls, SourceConnector) and cls.sandbox:
            found.append((entry.name, cls))
    return found


def start_sandbox(cls: type[SourceConnector], ca: SandboxCA, workdir: Path) -> Sandbox:
    sandbox_cls = sandbox_class(cls)
    sandbox: Sandbox = sandbox_cls(
        seed=7, scale=int(getattr(sandbox_cls, "contract_scale", 30)), ca=ca, workdir=workdir
    )
    return sandbox.start()


def read_all(
    stream: Stream,
    state: dict[str, Any] | None,
    partition: Partition,
    stop_after_checkpoints: int | None = None,
) -> tuple[list[dict[str, Any]], list[str], dict[str, Any] | None]:
    """Records, deleted keys and the last checkpointed state of one read (optionally cut short)."""
    done = collect(
        stream.read(state, partition), stop_after_checkpoints=stop_after_checkpoints, limit=READ_LIMIT
    )
    return done.records, done.deleted_keys, done.state if done.checkpoints else state


def _incremental_streams(connector: SourceConnector) -> list[Stream]:
    return [s for s in connector.streams() if s.mode in ("incremental", "delta")]


# -- the checks ------------------------------------------------------------------------------


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


def check_passes_against_sandbox(ctx: KitContext) -> None:
    result = ctx.connector().check()
    assert result.ok, f"check() failed against the sandbox: {result.message}"
    assert result.message


def check_fails_cleanly_with_bad_credentials(ctx: KitContext) -> None:
    overrides = ctx.sandbox.bad_credentials()  # type: ignore[attr-defined]
    connector = ctx.connector(**overrides)
    result = connector.check()  # must not raise
    assert not result.ok, "check() passed with credentials the sandbox rejects"
    assert "Traceback" not in result.message
    for value in overrides.values():
        if isinstance(value, str) and len(value) >= 4:
            assert value not in result.message, "a secret value leaked into check()'s message"
    for value in vars(connector.config).values():
        if isinstance(value, Secret):
            secret = value.reveal()
            assert not secret or secret not in result.message, "a secret value leaked into check()'s message"


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


def incremental_reads_twice_without_duplicates(ctx: KitContext) -> None:
    connector = ctx.connector()
    for stream in _incremental_streams(connector):
        partition = stream.partitions()[0]
        first, _, state1 = read_all(stream, None, partition)
        second, _, state2 = read_all(stream, state1, partition)
        keys1 = {stream.record_key(r) for r in first}
        assert len(keys1) == len(first), f"{stream.name}: the first read yielded a key twice"
        repeated = keys1 & {stream.record_key(r) for r in second}
        assert not repeated, f"{stream.name}: unchanged records read again: {sorted(repeated)[:3]}"
        c1, c2 = (state1 or {}).get("cursor"), (state2 or {}).get("cursor")
        if c1 is not None and c2 is not None:
            assert str(c2) >= str(c1), f"{stream.name}: cursor went backwards ({c1} -> {c2})"


def interrupted_read_resumes(ctx: KitContext) -> None:
    connector = ctx.connector()
    for stream in connector.streams():
        partition = stream.partitions()[0]
        full, _, _ = read_all(stream, None, partition)
        head, _, state = read_all(stream, None, partition, stop_after_checkpoints=1)
        tail, _, _ = read_all(stream, state, partition)
        want = {stream.record_key(r) for r in full}
        got = {stream.record_key(r) for r in head} | {stream.record_key(r) for r in tail}
        assert want <= got, f"{stream.name}: resuming lost records: {sorted(want - got)[:3]}"


def throttling_is_waited_out(ctx: KitContext) -> None:
    connector = ctx.connector()
    stream = connector.streams()[0]
    fault = Throttle(path=ctx.sandbox.throttle_path, retry_after=1, times=1)  # type: ignore[attr-defined]
    ctx.sandbox.arm(fault)
    records, _, _ = read_all(stream, None, stream.partitions()[0])
    assert fault.times == 0, "the armed 429 never fired: throttle_path does not match any request"
    assert records, "no records after the 429 was waited out"


#: the kit feeds bad bodies to data requests; sign-in requests (OAuth, tokens, discovery) have
#: their own tests, and a library's sign-in flow is not the connector's to change
DATA_REQUESTS = r"^(?!.*(oauth|token|login|well-known|/_admin)).*"
#: as many bad answers as any retry policy could absorb
ALWAYS = 1_000


def _quick_retries(ctx: KitContext) -> dict[str, Any]:
    return {"max_retries": 1} if "max_retries" in ctx.connector_cls.config_model.model_fields else {}


def a_body_not_as_promised_is_retried_then_transient(ctx: KitContext) -> None:
    """An HTML page or a cut-off body in a success answer is not the API's answer: fed once to each
    stream it is retried (the same records are read); fed always, the read fails with one
    transient error that says status, content type and first bytes, and no secret."""
    if not ctx.sandbox.http_answers:
        raise NotApplicable(f"{ctx.sandbox.name} reads no HTTP answers")
    connector = ctx.connector(**_quick_retries(ctx))
    secrets = [v.reveal() for v in vars(connector.config).values() if isinstance(v, Secret)]
    for stream in connector.streams():
        partition = stream.partitions()[0]
        clean = {stream.record_key(r) for r in read_all(stream, None, partition)[0]}
        for once in (HtmlPage(path=DATA_REQUESTS, times=1), CutBody(path=DATA_REQUESTS, times=1)):
            ctx.sandbox.arm(once)
            again = {stream.record_key(r) for r in read_all(stream, None, partition)[0]}
            assert once.times == 0, f"{stream.name}: no data request met the {once.kind} fault"
            assert again == clean, f"{stream.name}: one {once.kind} answer changed what was read"
        for always in (HtmlPage(path=DATA_REQUESTS, times=ALWAYS), CutBody(path=DATA_REQUESTS, times=ALWAYS)):
            ctx.sandbox.arm(always)
            try:
                read_all(stream, None, partition)
            except HubError as exc:
                message = exc.message
                assert exc.kind == "transient", (
                    f"{stream.name}: {always.kind} failed as {exc.kind}: {message}"
                )
                assert "\n" not in message and "Traceback" not in message, message
                assert re.search(r"\b200 answer\b", message), f"{stream.name}: no status in: {message}"
                if always.kind == "html_page":
                    assert "text/html" in message and "'Sign in to continue'" in message, message
                assert not any(s and len(s) >= 6 and s in str(exc) for s in secrets), "a secret in the error"
            else:
                raise AssertionError(
                    f"{stream.name}: every answer was a {always.kind}, yet the read succeeded"
                )
            finally:
                ctx.sandbox.faults.clear()


SOURCE_CHECKS: list[Callable[[KitContext], None]] = [
    config_schema_marks_secrets,
    check_passes_against_sandbox,
    check_fails_cleanly_with_bad_credentials,
    records_match_declared_schema,
    incremental_reads_twice_without_duplicates,
    interrupted_read_resumes,
    throttling_is_waited_out,
    a_body_not_as_promised_is_retried_then_transient,
]


def kit_context(cls: type[SourceConnector], ca: SandboxCA, workdir: Path) -> Iterator[KitContext]:
    """A started sandbox and the context the checks need (a generator: stops the sandbox after)."""
    sandbox = start_sandbox(cls, ca, workdir)
    try:
        yield KitContext(cls, sandbox)
    finally:
        sandbox.stop()
