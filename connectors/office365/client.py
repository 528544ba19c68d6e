"""Microsoft Graph v1.0 over the hub's HttpClient: next-link paging, delta rounds and JSON `$batch`.

Throttling is per app and tenant at Graph, so a 429's Retry-After holds every request of this
process to the Graph host (the HttpClient's host gate), including the items of a `$batch` whose
own answers were 429.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.office365.auth import GraphAuth
from connectors.office365.config import Office365Config
from core.http import HttpClient, NextLinkPaginator, RetryPolicy, parse_retry_after
from core.http.body import json_of
from core.http.client import HttpStatusError

log = logging.getLogger("hub.office365")

#: Graph error codes that mean "this delta/skip token is no longer usable: start a new round"
RESYNC_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})


class DeltaExpired(Exception):
    """The stored delta or next link was refused (expired, unknown, or the tenant was moved)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class BatchAnswer:
    id: str
    status: int
    body: Any


def graph_error(body: Any) -> tuple[str, str]:
    """(code, message) of a Graph error body `{"error": {"code", "message"}}`; empty if not one."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


class GraphClient:
    """Graph calls for one app registration; every method streams and raises the hub's errors."""

    def __init__(self, config: Office365Config) -> None:
        self.config = config
        self.auth = GraphAuth(config)
        self.retry = RetryPolicy(max_retries=config.max_retries)
        self.http = HttpClient(
            config.graph_base,
            name="office365",
            auth=self.auth,
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=self.retry,
            secrets=[s.reveal() for s in (config.client_secret, config.client_certificate) if s],
            headers={"Accept": "application/json"},
        )

    # -- plain collections ------------------------------------------------------------------
    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Each page (`value` + `@odata.nextLink`) of a collection until the last one."""
        paginator = NextLinkPaginator("@odata.nextLink")
        for response in self.http.paginate(paginator, path, params=params, require=("value",)):
            yield json_of(response)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get_json(path, params=params)

    # -- delta rounds -----------------------------------------------------------------------
    def delta_page(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One page of a delta round; raises DeltaExpired when Graph asks for a full resync."""
        response = self.http.request_decoded(
            "GET", url, params=params, accept_statuses=(400, 404, 410), require=("value",)
        )
        if response.status_code < 400:
            body: dict[str, Any] = json_of(response)
            return body
        try:
            code, _ = graph_error(response.json())
        except ValueError:  # an error page that is not Graph's JSON: judged by its status alone
            code = ""
        if response.status_code == 410 or code.lower() in RESYNC_CODES:
            raise DeltaExpired(response.status_code, code or "Gone")
        raise self.http.status_error("GET", self.http.url(url), response)

    # -- JSON batching ----------------------------------------------------------------------
    def batch_get(self, urls: dict[str, str]) -> dict[str, BatchAnswer]:
        """GET many relative URLs (id -> url) in `$batch` calls of at most `batch_size` requests.

        Items answered 429 or 5xx are sent again in a later batch after their Retry-After (held
        for the whole host); other statuses are returned as they are for the caller to judge.
        """
        answers: dict[str, BatchAnswer] = {}
        pending = dict(urls)
        attempt = 0
        while pending:
            attempt += 1
            retry_after: float | None = None
            ids = list(pending)
            for start in range(0, len(ids), self.config.batch_size):
                chunk = ids[start : start + self.config.batch_size]
                for answer, wait in self._one_batch({i: pending[i] for i in chunk}):
                    if answer.status == 429 or answer.status >= 500:
                        retry_after = max(retry_after or 0.0, wait or 0.0)
                        continue
                    answers[answer.id] = answer
                    pending.pop(answer.id, None)
            if pending:
                self._wait_for_items(attempt, len(pending), retry_after)
        return answers

    def _one_batch(self, chunk: dict[str, str]) -> Iterator[tuple[BatchAnswer, float | None]]:
        payload = {"requests": [{"id": i, "method": "GET", "url": url} for i, url in chunk.items()]}
        body = self.http.request_json(
            "POST",
            "$batch",
            json=payload,
            require=("responses",),
            idempotent=True,  # a batch of GETs
        )
        seen = set()
        for item in body.get("responses", []):
            item_id = str(item.get("id"))
            if item_id not in chunk:
                continue
            seen.add(item_id)
            headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
            wait = parse_retry_after(headers.get("retry-after"))
            yield BatchAnswer(item_id, int(item.get("status", 0)), item.get("body")), wait
        for missing in set(chunk) - seen:  # an answer without some items: treat as transient
            yield BatchAnswer(missing, 503, None), None

    def _wait_for_items(self, attempt: int, count: int, retry_after: float | None) -> None:
        """The shared retry policy decides (`RetryPolicy.wait_before_retry`); the wait is held at
        the host gate, so the next `$batch` call waits together with every other Graph request."""
        problem = f"office365: {count} $batch item(s) throttled or unavailable"
        delay = self.retry.wait_before_retry(attempt, problem, retry_after)
        log.info("%s; retrying in %.1fs", problem, delay)
        self.http.gate(self.http.base_url).hold_until(delay)

    def close(self) -> None:
        self.http.close()


__all__ = ["BatchAnswer", "DeltaExpired", "GraphClient", "HttpStatusError", "graph_error"]
