"""Documented payloads: request and response examples transcribed from a vendor's public
documentation, kept beside each connector's tests (`tests/connectors/<name>/documented/*.yaml`).

They are the independent oracle of the sandboxes: the client must parse what the vendor says it
sends (served verbatim by `ReplayServer`, so the client's real HTTP path reads it), and the
sandbox must answer the same request in the same shape (`missing_shape`). Each file starts with
a comment giving the documentation's address:

```yaml
# https://learn.microsoft.com/en-us/graph/api/user-list?view=graph-rest-1.0
request: {method: GET, path: /v1.0/users}
response: {status: 200, body: {...}}          # or body: |  (XML text) with content_type
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.sandbox.ca import SandboxCA
from core.sandbox.faults import FaultPlan
from core.sandbox.server import Request, Response, Router, SandboxServer

_SOURCE = re.compile(r"^#\s*(https?://\S+)", re.MULTILINE)


@dataclass
class Example:
    """One documented exchange: where it is documented, the request, the response."""

    name: str
    source: str
    method: str
    path: str
    status: int
    body: Any
    content_type: str = "application/json"
    request_body: Any = None
    query: dict[str, str] = field(default_factory=dict)

    def raw_body(self) -> bytes:
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def load_examples(folder: Path) -> dict[str, Example]:
    """Every documented example of a folder by file stem; each must cite its source."""
    examples = {}
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text()
        source = _SOURCE.search(text)
        if source is None:
            raise ValueError(f"{path}: a documented example starts with a '# https://...' source comment")
        data = yaml.safe_load(text)
        request, response = data.get("request") or {}, data.get("response") or {}
        examples[path.stem] = Example(
            name=path.stem,
            source=source.group(1),
            method=str(request.get("method", "GET")).upper(),
            path=str(request.get("path", "/")),
            status=int(response.get("status", 200)),
            body=response.get("body"),
            content_type=str(response.get("content_type", "application/json")),
            request_body=request.get("body"),
            query={str(k): str(v) for k, v in (request.get("query") or {}).items()},
        )
    return examples


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and value kinds, lists by their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string"


def missing_shape(documented: Any, actual: Any, where: str = "$") -> list[str]:
    """Paths of the documented shape that the actual value lacks or holds as another kind
    (null on either side accepts the other; an empty list accepts any list)."""
    want, have = shape(documented), shape(actual)
    return _compare(want, have, where)


def _compare(want: Any, have: Any, where: str) -> list[str]:
    if want == "null" or have == "null":
        return []  # null on either side: the field is there, one side has no value for it
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [f"{where}: object expected, got {have if isinstance(have, str) else type(have).__name__}"]
        problems = []
        for key, sub in want.items():
            if key not in have:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += _compare(sub, have[key], f"{where}.{key}")
        return problems
    if isinstance(want, list):
        if not isinstance(have, list):
            return [f"{where}: list expected"]
        if not want or not have:
            return []
        return _compare(want[0], have[0], f"{where}[0]")
    return [] if want == have else [f"{where}: {want} expected, got {have}"]


class ReplayServer:
    """Serves documented responses verbatim over HTTPS at their documented method and path, so a
    connector's own client (auth, HTTP, parsing) reads exactly what the vendor documents.
    Extra routes (a token endpoint) can be added; every request is kept in `requests`."""

    def __init__(self, examples: list[Example], ca: SandboxCA, rewrite: dict[str, str] | None = None) -> None:
        """`rewrite`: documented absolute URLs (`https://graph.microsoft.com`) to serve as this
        server's own, so the client follows the documented next links here."""
        self.router = Router()
        self.requests: list[Request] = []
        self.rewrite = rewrite or {}
        by_route: dict[tuple[str, str], list[Example]] = {}
        for example in examples:
            by_route.setdefault((example.method, example.path), []).append(example)
        for (method, path), candidates in by_route.items():
            self.add(method, re.escape(path), self._answer(candidates))
        self._server = SandboxServer(self.router, ca.server_context(), faults=FaultPlan())

    def add(self, method: str, pattern: str, respond: Any) -> None:
        def handler(request: Request) -> Response:
            self.requests.append(request)
            answer: Response = respond(request)
            return answer

        self.router.add(method, pattern, handler)

    def _answer(self, candidates: list[Example]) -> Any:
        def respond(request: Request) -> Response:
            # the most specific example whose documented query the request carries
            for example in sorted(candidates, key=lambda e: -len(e.query)):
                if all(request.arg(k) == v for k, v in example.query.items()):
                    body = example.raw_body().decode()
                    for documented, served in self.rewrite.items():
                        body = body.replace(documented, served.replace("{url}", self.url))
                    return Response(example.status, body.encode(), {"Content-Type": example.content_type})
            return Response(404, b'{"error": "no documented example for this query"}', {})

        return respond

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> ReplayServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
