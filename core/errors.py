"""The error taxonomy: what went wrong decides what the hub does next.

- `ConfigError`: the operator must change configuration; never retried.
- `AuthError`: credentials rejected or expired beyond refresh; never retried blindly.
- `TransientError`: throttling, 5xx, timeouts; retried with backoff, then the run fails resumably.
- `OutcomeUnknownError`: a transient failure of a write that may have been applied (a timeout after
  sending, a 5xx, a cut-off answer); never re-sent blindly: the caller looks the result up first
  (the outbox's find-before-create on its next pass).
- `RecordError`: one record is bad; it is quarantined and the sync goes on.
- `FatalError`: anything else that must stop the run.
- `NotFoundError`: a command's argument names nothing in the store (a ticket, a record).

Messages must be actionable and must never contain a secret value.
"""

from __future__ import annotations

from typing import ClassVar

from core.vocabulary import ErrorKind


class HubError(Exception):
    """Base of every error the hub raises on purpose; `str()` is safe to log and show."""

    kind: ClassVar[ErrorKind] = "fatal"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")


class ConfigError(HubError):
    kind = "config"


class AuthError(HubError):
    kind = "auth"


class TransientError(HubError):
    kind = "transient"

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class OutcomeUnknownError(TransientError):
    """A non-idempotent request may or may not have been applied; re-sending could apply it twice."""

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(
            message,
            hint=hint
            or "not re-sent, as the server may have applied it; the next pass looks it up before writing",
            retry_after=retry_after,
        )


class FatalError(HubError):
    kind = "fatal"


class NotFoundError(HubError):
    """What a command was asked to look up does not exist (a ticket, a record, an entry): the
    configuration is fine, the argument names nothing."""

    kind = "not_found"


class RecordError(HubError):
    """One record cannot be used; carries what an engineer needs to fix it."""

    kind = "record"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        stream: str | None = None,
        record_key: str | None = None,
        field: str | None = None,
        expression: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.stream = stream
        self.record_key = record_key
        self.field = field
        self.expression = expression
        where = "/".join(p for p in (source, stream, record_key) if p)
        prefix = f"{where}: " if where else ""
        on_field = f"field {field!r}: " if field else ""
        super().__init__(f"{prefix}{on_field}{message}", hint=hint)
        self.message = message
