"""Success answers botocore would misread, made a retried (then transient) error.

botocore reads a JSON-protocol body that is not JSON as `{"message": <body>}`: an HTML page from
a proxy would become an empty page of accounts, silently. A broken XML body raises a parser error
that its retry loop never sees. Three event hooks on each client fix both, inside botocore's own
retry loop (the hub adds no retry of its own):

- `before-parse`: a 2xx body that does not parse for the operation's protocol is swapped for an
  empty document and the problem noted in the parsed response;
- `needs-retry`: a noted problem is retried with botocore's backoff, up to `max_attempts`;
- `after-call`: still there after the last attempt, it is raised as `UnexpectedBody`.
"""

from __future__ import annotations

import json
import random
from typing import Any

from lxml import etree

from core.http.body import UnexpectedBody, unexpected_body

MARK = "HubUnexpectedBody"
_JSON = frozenset({"json", "rest-json"})
_XML = frozenset({"query", "ec2", "rest-xml"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class BodyCheck:
    """The hooks for one client (`service` in `region`)."""

    def __init__(self, service: str, region: str, max_attempts: int) -> None:
        self.service, self.region, self.max_attempts = service, region, max_attempts

    def register(self, events: Any) -> None:
        events.register("before-parse", self.before_parse)
        events.register("needs-retry", self.needs_retry)
        events.register("after-call", self.after_call)

    def before_parse(
        self,
        operation_model: Any,
        response_dict: dict[str, Any],
        customized_response_dict: dict[str, Any],
        **_: Any,
    ) -> None:
        status = int(response_dict.get("status_code") or 0)
        body = response_dict.get("body")
        if not 200 <= status < 300 or not isinstance(body, bytes) or not body:
            return
        protocol = str(operation_model.metadata.get("protocol"))
        problem = _problem(protocol, body, operation_model.name)
        if problem is None:
            return
        headers = response_dict.get("headers") or {}
        customized_response_dict[MARK] = unexpected_body(
            status=status,
            content_type=headers.get("content-type"),
            body=body,
            expected="JSON" if protocol in _JSON else "XML",
            where=f"AWS {self.service}:{operation_model.name} in {self.region}",
            problem=problem,
        )
        response_dict["body"] = _empty(protocol, operation_model)

    def needs_retry(self, response: Any = None, attempts: int = 1, **_: Any) -> float | None:
        parsed = response[1] if isinstance(response, tuple) and len(response) == 2 else None
        if not isinstance(parsed, dict) or MARK not in parsed or attempts >= self.max_attempts:
            return None
        return random.uniform(0, min(20.0, 2.0 ** (attempts - 1)))  # botocore's standard backoff

    def after_call(self, parsed: Any = None, **_: Any) -> None:
        error = parsed.get(MARK) if isinstance(parsed, dict) else None
        if isinstance(error, UnexpectedBody):
            raise UnexpectedBody(
                f"{error.message}; gave up after {self.max_attempts} attempts",
                status=error.status,
                content_type=error.content_type,
                head=error.head,
            )


def _problem(protocol: str, body: bytes, operation: str) -> str | None:
    if protocol in _JSON:
        try:
            document = json.loads(body)
        except ValueError:
            return "not JSON"
        return None if isinstance(document, dict) else "JSON but not an object"
    if protocol in _XML:
        try:
            root = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError:
            return "not XML"
        local = str(root.tag).rsplit("}", 1)[-1]
        if protocol != "rest-xml" and local != f"{operation}Response":
            return f"XML without {operation}Response"
    return None


def _empty(protocol: str, operation_model: Any) -> bytes:
    """A document botocore parses to nothing (the real answer is retried or raised)."""
    if protocol in _JSON:
        return b"{}"
    name = operation_model.name
    output = operation_model.output_shape
    wrapper = output.serialization.get("resultWrapper") if output is not None else None
    return f"<{name}Response>{f'<{wrapper}/>' if wrapper else ''}</{name}Response>".encode()
