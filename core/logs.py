"""Logging for a hub process: verbosity raises the hub's own loggers only, and every handler on
the root logger redacts what it writes.

- default: warnings and errors; `-v`: the hub's INFO (runs, retries, progress); `-vv`: the hub's
  DEBUG (every HTTP call, engine steps);
- third-party loggers (botocore, urllib3, msal, azure, paramiko...) stay at WARNING: at DEBUG they
  print request and response bodies with credentials in them (STS keys, token responses, signed
  URLs). An operator who needs one names it: `--debug-logger botocore`;
- even then nothing secret is written: the redaction filter sits on the root handlers (a filter on
  a logger would miss records propagated from its children) and masks every secret value the hub
  has revealed plus credential shapes (bearer and basic credentials, token and key fields in JSON,
  XML, form bodies and Python reprs, URL signatures, AWS signatures and session tokens, JWTs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from core.http.redaction import redact_text
from core.secrets import revealed_values

HUB_LOGGER = "hub"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with secrets masked; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = revealed_values()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break logging: keep the raw text
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact_text(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, secrets)
        return True


def verbosity_level(verbosity: int) -> int:
    return {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)


def configure(verbosity: int = 0, debug_loggers: Iterable[str] = (), log_file: Path | None = None) -> None:
    """Set up the root handlers (stderr, and `log_file` if given) with redaction, and the levels."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger(HUB_LOGGER).setLevel(min(verbosity_level(verbosity), logging.WARNING))
    for name in debug_loggers:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.captureWarnings(True)


def redact_handlers(logger: logging.Logger | None = None) -> None:
    """Add the redaction filter to the handlers a host process (Airflow) installed, once each."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
