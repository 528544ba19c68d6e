"""The sandbox's JSON `$batch` endpoint: up to 20 requests in one call, each run through the same
route (and so the same auth, permission and throttling checks) as if sent alone, answered in
another order than asked, as Graph may."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.sandbox.server import Request, Response, Router, json_response

MAX_BATCH = 20


def _error(status: int, message: str) -> Response:
    return json_response({"error": {"code": "BadRequest", "message": message}}, status)


def serve_batch(router: Router, request: Request) -> Response:
    """Answer a `POST /v1.0/$batch` whose envelope was already authenticated."""
    try:
        items = (request.json() or {}).get("requests")
    except (ValueError, AttributeError):
        items = None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return _error(400, "Invalid batch payload format.")
    if len(items) > MAX_BATCH:
        return _error(400, f"Number of requests in a batch cannot exceed {MAX_BATCH}.")
    if len({str(i.get("id")) for i in items}) != len(items):
        return _error(400, "Every batch request needs a unique id.")
    answers = [_answer(router, request, item) for item in items]
    return json_response({"responses": list(reversed(answers))})


def _answer(router: Router, envelope: Request, item: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(str(item.get("url", "")))
    path = "/v1.0/" + url.path.lstrip("/")
    headers = {
        "authorization": envelope.header("authorization") or "",
        **{k.lower(): str(v) for k, v in (item.get("headers") or {}).items()},
    }
    sub = Request(
        method=str(item.get("method", "GET")).upper(),
        path=path,
        query=parse_qs(url.query, keep_blank_values=True),
        headers=headers,
        body=b"",
        sandbox_state=envelope.sandbox_state,
    )
    handler, params, _ = router.resolve(sub.method, sub.path)
    if handler is None or path.startswith("/v1.0/$batch"):
        response = _error(400, f"Resource not found for the segment '{url.path}'.")
    else:
        sub.params = params
        response = handler(sub)
    return {
        "id": str(item.get("id")),
        "status": response.status,
        "headers": dict(response.headers),
        "body": json.loads(response.body) if response.body else None,
    }
