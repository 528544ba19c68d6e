"""Response bodies that are not what the API promises.

A 200 can carry an HTML page (a proxy, a load balancer or an SSO portal answering for the API), a
body cut off mid-way (a connection closed early behind a gateway that had already sent the
headers), or a document without the element every answer has. None of these is the record set
the hub asked for, and none is the vendor's final word: `UnexpectedBody` is a `TransientError`,
retried like a 503 and then failing the run resumably, with one line an operator can act on:
status, content type and the first bytes, redacted.

`json_of` decodes once per response (paginators and callers share the result); the same
`unexpected_body` describes bodies met outside `requests` (botocore, azure-core, SOAP).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from core.errors import TransientError
from core.http.redaction import redact_text

#: how much of a body a message shows
HEAD_CHARS = 120
_DECODED = "_hub_decoded_json"
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")


class UnexpectedBody(TransientError):
    """A success answer whose body does not parse as the API promises (see the module doc)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        content_type: str = "",
        head: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(
            message,
            hint=hint
            or "retried like an outage; if it persists, open the URL from the hub's host to see who answers",
        )
        self.status = status
        self.content_type = content_type
        self.head = head


def unexpected_body(
    *,
    status: int,
    content_type: str | None,
    body: bytes | str,
    expected: str,
    where: str = "",
    secrets: Iterable[str] = (),
    problem: str | None = None,
) -> UnexpectedBody:
    """The error for a body that is not `expected` (e.g. "JSON"), with its first bytes redacted."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    title = _TITLE.search(text[:4096])
    if title and title.group(1).strip():  # an HTML page says who answered in its title
        head = redact_text(f"HTML page titled {' '.join(title.group(1).split())[:HEAD_CHARS]!r}", secrets)
    else:
        head = repr(redact_text(" ".join(text[: HEAD_CHARS * 4].split())[:HEAD_CHARS], secrets))
    kind = content_type or "no content type"
    size = f"{len(body):,} bytes" if body else "an empty body"
    what = problem or f"not {expected}"
    origin = f" from {where}" if where else ""
    message = f"{status} answer{origin} with {kind} ({size}) is {what}: {head}"
    return UnexpectedBody(message, status=status, content_type=kind, head=head)


def json_of(
    response: requests.Response,
    *,
    require: Iterable[str] = (),
    where: str = "",
    secrets: Iterable[str] = (),
) -> Any:
    """The response's JSON document, decoded once; UnexpectedBody if it is not JSON (an HTML
    page, a cut-off body) or is an object without one of the `require`d members."""
    document = response.__dict__.get(_DECODED, _DECODED)
    if document is _DECODED:
        try:
            document = response.json()
        except ValueError:
            raise unexpected_body(
                status=response.status_code,
                content_type=response.headers.get("Content-Type"),
                body=response.content,
                expected="JSON",
                where=where,
                secrets=secrets,
            ) from None
        response.__dict__[_DECODED] = document
    missing = [name for name in require if not (isinstance(document, Mapping) and name in document)]
    if missing:
        raise unexpected_body(
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
            body=response.content,
            expected="JSON",
            where=where,
            secrets=secrets,
            problem=f"JSON without {', '.join(repr(m) for m in missing)}",
        )
    return document
