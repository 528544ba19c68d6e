"""The HTTP side of a declarative stream: pages of a listing (resumable at a saved page token),
one follow-up read per id, and the server's clock. Everything goes through `core.http`'s client and
paginators, so retries, Retry-After, the host budget, token refresh and redaction are the same as
for a Python connector."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from core import clock
from core.declarative.definition import DetailDef, PagingDef, RequestDef
from core.declarative.select import select
from core.declarative.templates import render, render_params
from core.http.client import HttpClient
from core.http.pagination import (
    BasePaginator,
    CursorTokenPaginator,
    LinkHeaderPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)


class RecordingHttpClient(HttpClient):
    """`HttpClient` that keeps the last response, so a decoded body's headers (Date, Link) are at hand."""

    last_response: requests.Response | None = None

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        self.last_response = super().request(method, path_or_url, **kwargs)
        return self.last_response


def make_paginator(paging: PagingDef, records: str) -> BasePaginator[Any] | None:
    """The `core.http` paginator a definition names (None: one request)."""
    if paging.type == "offset":
        return OffsetPaginator(
            paging.limit,
            records_path=records.removesuffix(".*"),
            total_path=paging.total_path,
            offset_param=paging.offset_param,
            limit_param=paging.limit_param,
        )
    if paging.type == "page_number":
        return PageNumberPaginator(
            total_pages_path=paging.total_pages_path, page_param=paging.page_param, start=paging.start
        )
    if paging.type == "cursor":
        return CursorTokenPaginator(token_path=paging.token_path, param_name=paging.param)
    if paging.type == "next_link":
        return NextLinkPaginator(paging.path)
    if paging.type == "link_header":
        return LinkHeaderPaginator()
    return None


@dataclass
class Page:
    records: list[Any]
    response: requests.Response
    #: the paginator's token for the page after this one (None: this was the last)
    next_token: Any


class Fetcher:
    """Requests of one stream, rendered from the definition and the instance's settings."""

    def __init__(self, http: RecordingHttpClient, values: dict[str, Any], stream: str) -> None:
        self.http = http
        self.values = values
        self.stream = stream

    def pages(
        self, request: RequestDef, paging: PagingDef, records: str, params: dict[str, Any], resume: Any = None
    ) -> Iterator[Page]:
        paginator = make_paginator(paging, records)
        first_url = self.http.url(render(request.path, self.values))
        query = {**render_params(request.params, self.values), **params}
        if paginator is not None and resume is not None:
            paginator.resume_from(resume)
        if paginator is not None and paging.type == "page_number" and paging.size_param and paging.size:
            query[paging.size_param] = paging.size
        while True:
            url = paginator.request_url(first_url) if paginator is not None else first_url
            sent = dict(query) if url == first_url else {}
            if paginator is not None:
                sent.update(paginator.request_params())
            body = self.http.request_json(  # a declarative source only reads, even with POST
                request.method, url, params=sent or None, json=request.body, idempotent=True
            )
            response = self.http.last_response
            assert response is not None
            where = f"{self.stream}: {request.method} {request.path}"
            next_token = paginator.get_next(response) if paginator is not None else None
            yield Page(select(body, records, where=where), response, next_token)
            if paginator is None:
                return
            paginator.advance(response)
            if paginator.finished:
                return

    def body(self, request: RequestDef, params: dict[str, Any]) -> tuple[Any, requests.Response]:
        query = {**render_params(request.params, self.values), **params}
        body = self.http.request_json(
            request.method,
            render(request.path, self.values),
            params=query or None,
            json=request.body,
            idempotent=True,
        )
        assert self.http.last_response is not None
        return body, self.http.last_response

    def detail(self, detail: DetailDef, record_id: str) -> dict[str, Any] | None:
        """The record with this id, or None when the API says it is gone (404)."""
        path = render(detail.path, {**self.values, "id": record_id})
        params = render_params(detail.params, self.values) or None
        response = self.http.request("GET", path, params=params, accept_statuses=(404,))
        if response.status_code == 404:
            return None
        try:
            body = response.json()
        except ValueError:  # undecodable: ask again with the client's retry rules
            body = self.http.request_json("GET", path, params=params)
        found = select(body, detail.records, where=f"{self.stream}: GET {detail.path}")
        return found[0] if found and isinstance(found[0], dict) else None


def server_moment(response: requests.Response) -> datetime:
    """The server's clock from the Date header (RFC 9110 section 6.6.1), else the hub's.

    A cursor for the server's `since` filter must come from the server's clock: the hub's may be
    ahead, and changes in between would never be read.
    """
    header = response.headers.get("Date")
    if header:
        try:
            return parsedate_to_datetime(header).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            pass
    return clock.now()
