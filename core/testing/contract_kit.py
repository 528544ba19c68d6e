"""The source-connector contract kit: standard checks as data (after Meltano's testing suites).

Every connector registered in the `itsm_hub.connectors` entry-point group that is a
`SourceConnector` and declares a `sandbox` gets every check in `SOURCE_CHECKS`, run by
`tests/contract/test_source_contract.py` (`pytest tests/contract -k <type>`). Nothing to copy:
register the connector and ship a sandbox that defines

- `instance_config()`: config pointing at the running sandbox,
- `bad_credentials()`: config overrides the sandbox rejects (the credentials),
- `throttle_path`: a regex of a request path the kit answers once with 429 + Retry-After,
- `contract_scale` (optional, default 30): the size of the organisation the kit runs against,

and, for the checks that need the sandbox to change its data between reads:

- `kit_delete(stream) -> key`: delete one record (required when a stream is `delta`),
- `kit_change(stream, count) -> keys`: change that many records (new change times),
- `kit_duplicate(stream) -> key | None`: list one record twice in the next listing.

A check without what it needs reports "not applicable" (a skipped test naming why); a check that
finds a mistake fails naming the stream and the mistake. The generic fixture sandbox of declarative
sources has every hook, so every declarative source gets every check. The kit also feeds each
stream a success answer with an HTML page or a cut-off body: it must be retried, then fail as one
readable transient error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.connector.contracts import SourceConnector
from core.connector.registry import discover
from core.errors import HubError
from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import CutBody, HtmlPage
from core.sandbox.fleet import sandbox_class
from core.secrets import Secret
from core.testing.kit_context import READ_LIMIT, KitContext, NotApplicable, read_all
from core.testing.kit_cursors import (
    cursor_moves_forward_only,
    every_checkpoint_covers_its_records,
    incremental_reads_twice_without_duplicates,
    throttling_is_waited_out,
)
from core.testing.kit_records import (
    config_schema_marks_secrets,
    delta_streams_report_deletions,
    duplicates_are_rejected_not_dropped,
    no_key_twice_in_one_read,
    records_match_declared_schema,
    secret_shaped_settings_are_secrets,
    snapshot_markers_are_paired,
)


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


# -- the checks ------------------------------------------------------------------------------


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


Check = Callable[[KitContext], None]

SOURCE_CHECKS: list[Check] = [
    config_schema_marks_secrets,
    secret_shaped_settings_are_secrets,
    check_passes_against_sandbox,
    check_fails_cleanly_with_bad_credentials,
    records_match_declared_schema,
    no_key_twice_in_one_read,
    snapshot_markers_are_paired,
    incremental_reads_twice_without_duplicates,
    cursor_moves_forward_only,
    every_checkpoint_covers_its_records,
    delta_streams_report_deletions,
    duplicates_are_rejected_not_dropped,
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


__all__ = ["READ_LIMIT", "SOURCE_CHECKS", "KitContext", "NotApplicable", "kit_context", "read_all", "run_kit"]


def run_kit(cls: type[SourceConnector], workdir: Path, echo: Callable[[str], None] = print) -> bool:
    """Every check against one connector's sandbox, one line each; True if none failed."""
    passed = True
    for ctx in kit_context(cls, SandboxCA(workdir), workdir / cls.type_name):
        for check in SOURCE_CHECKS:
            try:
                check(ctx)
            except NotApplicable as reason:
                echo(f"  n/a     {check.__name__}: {reason}")
            except AssertionError as failure:
                passed = False
                echo(f"  FAILED  {check.__name__}: {failure}")
            else:
                echo(f"  ok      {check.__name__}")
    return passed


def main(argv: list[str] | None = None) -> int:
    """`python -m core.testing.contract_kit SOURCE...`: the kit on definitions or installed types."""
    import argparse
    import tempfile

    from core.connector.registry import connector_class
    from core.declarative.connector import file_source
    from core.errors import HubError

    parser = argparse.ArgumentParser(prog="python -m core.testing.contract_kit", description=main.__doc__)
    parser.add_argument("sources", nargs="+", help="a source.yaml, or an installed connector type")
    args = parser.parse_args(argv)
    passed = True
    with tempfile.TemporaryDirectory(prefix="hub-kit-") as tmp:
        for source in args.sources:
            try:
                found = file_source(source) if source.endswith((".yaml", ".yml")) else connector_class(source)
            except HubError as exc:
                print(f"{source}: {exc}")
                return 2
            if not (isinstance(found, type) and issubclass(found, SourceConnector) and found.sandbox):
                print(f"{source}: not a source connector with a sandbox")
                return 2
            print(f"contract kit: {found.type_name}")
            passed = run_kit(found, Path(tmp) / found.type_name) and passed
    print("all checks passed" if passed else "some checks FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
