"""The fixture sandbox's API surface: listings (paged as declared, filtered by `since`), the
changed-ids endpoint and the per-id reads, answered in the shapes the definition describes.

The server side of paging is written here, not borrowed from the client: offsets and page
numbers are counted from the query, cursor and link tokens are opaque to the client, and a
request outside what the server offers (an unparseable `since`, a page past the end) gets the 400
a real API would give.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from core.declarative.definition import StreamDef
from core.declarative.sandbox.dataset import Row, Table
from core.declarative.select import moment
from core.sandbox.server import Request, Response, json_response

#: records per page when the server, not the client, chooses the page size
SERVER_PAGE_SIZE = 10
#: the largest `limit` the fixture accepts for offset paging
MAX_LIMIT = 1000


def bad_request(message: str) -> Response:
    return json_response({"error": {"code": "BadRequest", "message": message}}, 400)


def nest(selector: str, records: list[dict[str, Any]], keys: list[str]) -> Any:
    """A body holding `records` where the selector points (`a.b`, `a.*` for a map by key)."""
    as_map = selector.endswith(".*")
    path = selector[:-2] if as_map else selector
    value: Any = dict(zip(keys, records, strict=True)) if as_map else records
    if not path:
        return value
    body: dict[str, Any] = {}
    cursor = body
    parts = path.split(".")
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value
    return body


def _put(body: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    cursor = body
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"at": position}).encode()).decode()


def _position(token: str) -> int:
    data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    return int(data["at"])


class Listing:
    """GET (or POST) of one stream's listing."""

    def __init__(self, table: Table, spec: StreamDef, url_of: Callable[[str], str]) -> None:
        self.table, self.spec, self.url_of = table, spec, url_of

    def rows(self, request: Request) -> list[tuple[str, Row]] | Response:
        since = self.spec.since
        given = request.arg(since.param) if since is not None else None
        if given is None:
            return self.table.live()
        when = moment(given)
        if when is None:
            return bad_request(f"{since.param if since else 'since'}={given!r} is not an ISO 8601 time")
        # in key order, as most APIs list: not oldest change first
        inclusive = self.table.fixture.since_inclusive
        return self.table.select(when, inclusive=inclusive, deleted=self.spec.deleted is not None)

    def __call__(self, request: Request) -> Response:
        selected = self.rows(request)
        if isinstance(selected, Response):
            return selected
        if self.table.duplicate_next and selected and not self.spec.records.endswith(".*"):
            self.table.duplicate_next = False
            selected = [selected[0], *selected]
        return self.page(request, selected)

    def page(self, request: Request, selected: list[tuple[str, Row]]) -> Response:
        """One page of the selected rows; only that page's records are rendered."""
        records = selected  # counted and sliced as rows, rendered below
        paging = self.spec.paginator
        headers: dict[str, str] = {}
        extra: dict[str, Any] = {}
        if paging.type == "offset":
            try:
                start = int(request.arg(paging.offset_param) or 0)
                limit = int(request.arg(paging.limit_param) or paging.limit)
            except ValueError:
                return bad_request("offset and limit must be integers")
            if limit < 1 or limit > MAX_LIMIT or start < 0:
                return bad_request(
                    f"{paging.limit_param} must be 1..{MAX_LIMIT} and {paging.offset_param} >= 0"
                )
            end = start + limit
            if paging.total_path:
                extra[paging.total_path] = len(records)
        elif paging.type == "page_number":
            size = (
                int(request.arg(paging.size_param) or SERVER_PAGE_SIZE)
                if paging.size_param
                else SERVER_PAGE_SIZE
            )
            page = int(request.arg(paging.page_param) or paging.start)
            pages = max(1, -(-len(records) // size))
            if page < paging.start or page > paging.start + pages - 1:
                return bad_request(f"{paging.page_param}={page} is outside 1..{pages}")
            start, end = (page - paging.start) * size, (page - paging.start + 1) * size
            extra[paging.total_pages_path] = pages
        elif paging.type in ("cursor", "next_link", "link_header"):
            param = paging.param if paging.type == "cursor" else "page_token"
            token = request.arg(param)
            try:
                start = _position(token) if token else 0
            except (ValueError, KeyError, json.JSONDecodeError):
                return bad_request(f"{param} is not a token this server issued")
            end = start + SERVER_PAGE_SIZE
            if end < len(records):
                if paging.type == "cursor":
                    extra[paging.token_path] = _token(end)
                else:
                    query = {k: v[0] for k, v in request.query.items() if k != "page_token"}
                    link = self.url_of(request.path) + "?" + urlencode({**query, "page_token": _token(end)})
                    if paging.type == "next_link":
                        extra[paging.path] = link
                    else:
                        headers["Link"] = f'<{link}>; rel="next"'
        else:
            start, end = 0, len(records)
        chosen = selected[start:end]
        body = nest(self.spec.records, [self.table.record(r) for _, r in chosen], [k for k, _ in chosen])
        for path, value in extra.items():
            _put(body, path, value)
        return json_response(body, headers=headers)


class Changes:
    """The changed-ids endpoint: entries for rows changed since the cursor, deletions included."""

    def __init__(self, table: Table, spec: StreamDef) -> None:
        self.table, self.spec = table, spec

    def __call__(self, request: Request) -> Response:
        changes = self.spec.changes
        assert changes is not None
        given = request.arg(changes.since_param)
        when = moment(given) if given else None
        if when is None:
            return bad_request(f"{changes.since_param} is required, as an ISO 8601 time ({given!r} given)")
        rows = self.table.select(when, inclusive=self.table.fixture.since_inclusive, deleted=True)
        entries = [self.entry(k, r) for k, r in rows]
        body = nest(changes.records, entries, [k for k, _ in rows])
        if changes.cursor_path and rows:
            newest = max(r.changed_at for _, r in rows)
            _put(body, changes.cursor_path, newest.isoformat())
        return json_response(body)

    def entry(self, key: str, row: Row) -> dict[str, Any]:
        changes = self.spec.changes
        assert changes is not None
        entry: dict[str, Any] = {changes.id_field: key}
        if changes.cursor_field:
            entry[changes.cursor_field] = row.changed_at.isoformat()
        if changes.deleted is not None:
            action = changes.deleted.values()[0] if row.deleted else self.table.fixture.live_action
            entry[changes.deleted.field] = action
        return entry


class Detail:
    """One record by id; 404 for an id never seen or deleted."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __call__(self, request: Request) -> Response:
        row = self.table.rows.get(request.params["id"])
        if row is None or row.deleted:
            return json_response({"error": {"code": "NotFound", "message": "no such record"}}, 404)
        record = self.table.record(row)
        wanted = self.table.fixture.fields_param
        asked = request.arg(wanted) if wanted else None
        if asked:
            names = [n.strip() for n in asked.split(",") if n.strip()]
            keep = set(names) | set(self.table.spec.primary_key)
            record = {k: v for k, v in record.items() if k in keep}
        return json_response(record)
