"""TeamDynamix Web API client: admin-token login (BEID + Web Services Key) and per-method limits.

TeamDynamix rate-limits each method separately (typically 60 calls per IP per 60 s) and answers
429 without Retry-After, announcing the window's end in `X-RateLimit-Reset` (RFC 1123). The
client waits for that moment (at least `min_rate_limit_wait_seconds`, as TeamDynamix advises),
and pauses a method before its next call when `X-RateLimit-Remaining` reaches 0, so a burst of
tickets slows down instead of failing. Secrets never appear in errors or logs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from connectors.teamdynamix.config import TeamDynamixConfig
from core.errors import AuthError, FatalError, TransientError
from core.http import HttpClient, RetryPolicy, parse_retry_after
from core.http.auth import CachedBearerAuth, IssuedToken, jwt_seconds_left
from core.http.body import json_of, unexpected_body

#: longest rate-limit wait done in-process; beyond it the delivery fails transiently and resumes
MAX_WAIT_SECONDS = 120.0


class AdminTokenAuth(CachedBearerAuth):
    """Bearer JWT from `/api/auth/loginadmin` (an admin service account's BEID and Web Services
    Key), kept until its `exp` claim (TeamDynamix issues it for 24 hours) and fetched again on a 401."""

    default_lifetime_seconds = 24 * 3600.0

    def __init__(self, config: TeamDynamixConfig) -> None:
        super().__init__()
        self._config = config
        self._http = HttpClient(
            config.base_url,
            name="teamdynamix-auth",
            ca_bundle=config.ca_bundle,
            retry=RetryPolicy(max_retries=config.max_retries),
            secrets=[config.web_services_key.reveal()],
        )

    def fetch(self) -> IssuedToken:
        body = {"BEID": self._config.beid, "WebServicesKey": self._config.web_services_key.reveal()}
        response = self._http.request(
            "POST", "/api/auth/loginadmin", json=body, accept_statuses=(400, 401, 403), idempotent=True
        )
        if response.status_code >= 400:
            raise AuthError(
                f"teamdynamix: loginadmin rejected the BEID/Web Services Key ({response.status_code} "
                f"{self._http.excerpt(response, 120)})",
                hint="copy both from TDAdmin > Organization Details; check the key is enabled",
            )
        token = response.text.strip().strip('"')
        if not token or any(c.isspace() or c in "<>{}" for c in token):  # an HTML page, not a token
            raise unexpected_body(
                status=response.status_code,
                content_type=response.headers.get("Content-Type"),
                body=response.content,
                expected="a bearer token",
                where="/api/auth/loginadmin",
                secrets=self._http.secrets,
            )
        return IssuedToken(token, jwt_seconds_left(token))

    def close(self) -> None:
        self._http.close()


def route_of(method: str, path: str) -> str:
    """The rate-limited method a call belongs to (IDs in the path do not matter)."""
    return method + " " + re.sub(r"/\d+", "/{id}", path)


class TeamDynamixClient:
    def __init__(self, config: TeamDynamixConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.auth = AdminTokenAuth(config)
        self.http = HttpClient(
            config.base_url,
            name="teamdynamix",
            auth=self.auth,
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=RetryPolicy(max_retries=config.max_retries),
            rate_per_second=config.rate_per_second,
            secrets=[config.web_services_key.reveal()],
            headers={"Accept": "application/json"},
        )
        self._sleep = sleep
        self._not_before: dict[str, float] = {}
        self.rate_limit_waits = 0

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one call, waiting out the method's rate limit; returns the decoded JSON body."""
        route = route_of(method, path)
        for attempt in range(self.config.max_retries + 1):
            self._wait(route)
            response = self.http.request(method, path, accept_statuses=(404, 429), **kwargs)
            self._note_window(route, response)
            if response.status_code == 404:
                raise FatalError(
                    f"teamdynamix: {method} {path} not found", hint="the ticket was deleted or moved"
                )
            if response.status_code != 429:
                return json_of(response, where=route, secrets=self.http.secrets) if response.content else None
            wait = self._wait_after_429(response)
            if attempt == self.config.max_retries or wait > MAX_WAIT_SECONDS:
                raise TransientError(
                    f"teamdynamix: {route} still rate-limited after {attempt + 1} attempts (next window in {wait:.0f}s)",
                    hint="the outbox retries on its next pass",
                    retry_after=wait,
                )
            self._not_before[route] = time.monotonic() + wait
        raise AssertionError("unreachable")

    def _wait(self, route: str) -> None:
        delay = self._not_before.pop(route, 0.0) - time.monotonic()
        if delay > MAX_WAIT_SECONDS:
            raise TransientError(
                f"teamdynamix: {route} is rate-limited for another {delay:.0f}s",
                hint="the outbox retries on its next pass",
                retry_after=delay,
            )
        if delay > 0:
            self.rate_limit_waits += 1
            self._sleep(delay)

    @staticmethod
    def _seconds_until(reset: str | None) -> float | None:
        if not reset:
            return None
        try:  # the header has whole seconds: one more second makes sure the window is over
            return parsedate_to_datetime(reset).timestamp() + 1.0 - time.time()
        except (TypeError, ValueError, IndexError):
            return None

    def _note_window(self, route: str, response: requests.Response) -> None:
        if response.headers.get("X-RateLimit-Remaining") == "0" and response.status_code != 429:
            until = self._seconds_until(response.headers.get("X-RateLimit-Reset"))
            if until is not None and until > 0:
                self._not_before[route] = time.monotonic() + until

    def _wait_after_429(self, response: requests.Response) -> float:
        explicit = parse_retry_after(response.headers.get("Retry-After"))
        if explicit is not None:
            return explicit
        until = self._seconds_until(response.headers.get("X-RateLimit-Reset"))
        return max(self.config.min_rate_limit_wait_seconds, until or 0.0)

    def close(self) -> None:
        self.http.close()
        self.auth.close()
