"""A `requests.Session` that carries simple-salesforce's calls through the hub's HttpClient.

simple-salesforce speaks the Salesforce REST API but neither retries nor honours Retry-After,
and `REQUESTS_CA_BUNDLE` would silently override a session's `verify`. Handing it this session
gives every call the hub's rules: TLS verified against `ca_bundle`, timeouts, retries of
429/5xx with Retry-After shared per host, redacted errors. Every other status goes back to
simple-salesforce unchanged, so its exceptions (SalesforceExpiredSession...) still fire.

A PATCH or POST is re-sent after an ambiguous failure (5xx, a dropped answer) only when the
sink declared it idempotent (`idempotent_paths`: the upsert by external ID, which the key itself
makes safe to repeat); any other write raises `OutcomeUnknownError` instead.

It also reads `Sforce-Limit-Info: api-usage=used/limit` on every answer and refuses to call
once the org's rolling 24-hour API usage reaches the configured ceiling, so the hub never
starves the agency's other integrations of their shared daily quota.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from core.errors import TransientError
from core.http import HttpClient

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
#: every status simple-salesforce interprets itself (the retryable ones are HttpClient's)
PASS_THROUGH = frozenset(range(300, 600)) - {408, 425, 429, 500, 502, 503, 504}


@dataclass
class ApiUsage:
    used: int
    limit: int
    seen_at: float

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 0.0


class HubSession(requests.Session):
    """Routes `request()` through an HttpClient; tracks the org's daily API usage."""

    #: how long a usage reading is trusted before one request is let through to re-measure it
    USAGE_TTL_SECONDS = 60.0

    def __init__(
        self, http: HttpClient, *, ceiling: float, idempotent_paths: tuple[re.Pattern[str], ...] = ()
    ) -> None:
        super().__init__()
        self.http = http
        self.ceiling = ceiling
        self.idempotent_paths = idempotent_paths
        self.usage: ApiUsage | None = None

    def request(  # type: ignore[override]
        self, method: str, url: str, **kwargs: Any
    ) -> requests.Response:
        self._guard_quota(url)
        declared = any(pattern.search(urlsplit(url).path) for pattern in self.idempotent_paths)
        response = self.http.request(
            method, url, accept_statuses=PASS_THROUGH, idempotent=True if declared else None, **kwargs
        )
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage = ApiUsage(int(match.group(1)), int(match.group(2)), time.monotonic())
        return response

    def _guard_quota(self, url: str) -> None:
        usage = self.usage
        if usage is None or time.monotonic() - usage.seen_at > self.USAGE_TTL_SECONDS:
            return
        if usage.share >= self.ceiling:
            raise TransientError(
                f"Salesforce org has used {usage.used:,} of its {usage.limit:,} daily API requests "
                f"({usage.share:.0%}); the hub stops at {self.ceiling:.0%} (api_usage_ceiling) "
                "to leave room for the org's other integrations",
                hint="delivery resumes on a later run once the rolling 24-hour usage falls",
            )

    def close(self) -> None:
        self.http.close()
        super().close()
