"""Pagination strategies, one small class each behind one generic base (after Meltano's SDK).

A paginator holds the token of the *next* page. The client asks it how to shape the next request
(`request_params`, `request_url`) and hands it each response (`advance`). Adding a strategy
touches nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

import requests

from core.errors import FatalError
from core.http.body import json_of

TPageToken = TypeVar("TPageToken")


def json_path(document: Any, path: str) -> Any:
    """Value at a dotted path (`a.b.0.c`) of a JSON document, or None."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class BasePaginator(ABC, Generic[TPageToken]):
    """Tracks the next page token; finished when a response says there is nothing more."""

    def __init__(self, start_value: TPageToken) -> None:
        self._value: TPageToken = start_value
        self._finished = False
        self.pages = 0

    @property
    def current_value(self) -> TPageToken:
        return self._value

    @property
    def finished(self) -> bool:
        return self._finished

    def advance(self, response: requests.Response) -> None:
        """Move to the next page, or finish. A token that repeats is a server bug, not a loop."""
        self.pages += 1
        new_value = self.get_next(response)
        if new_value is None:
            self._finished = True
            return
        if new_value == self._value:
            raise FatalError(
                f"pagination loop: {type(self).__name__} got the same page token twice ({new_value!r})",
                hint="the API returned a repeated next-page token; report it to the vendor",
            )
        self._value = new_value

    @abstractmethod
    def get_next(self, response: requests.Response) -> TPageToken | None:
        """The next page's token from this response, or None at the end."""

    def request_params(self) -> dict[str, Any]:
        """Query parameters to add for the current page."""
        return {}

    def request_url(self, default: str) -> str:
        """URL of the current page (next-link strategies override it)."""
        return default


class OffsetPaginator(BasePaginator[int]):
    """`offset`/`limit` with an optional total in the body (Workday REST, many others)."""

    def __init__(
        self,
        limit: int,
        *,
        records_path: str,
        total_path: str | None = "total",
        offset_param: str = "offset",
        limit_param: str = "limit",
        start: int = 0,
    ) -> None:
        super().__init__(start)
        self.limit = limit
        self.records_path = records_path
        self.total_path = total_path
        self.offset_param = offset_param
        self.limit_param = limit_param

    def request_params(self) -> dict[str, Any]:
        return {self.offset_param: self.current_value, self.limit_param: self.limit}

    def get_next(self, response: requests.Response) -> int | None:
        body = json_of(response)
        records = json_path(body, self.records_path) or []
        next_offset = self.current_value + len(records)
        total = json_path(body, self.total_path) if self.total_path else None
        if not records or (total is not None and next_offset >= int(total)):
            return None
        if total is None and len(records) < self.limit:
            return None
        return next_offset


class PageNumberPaginator(BasePaginator[int]):
    """1-based page numbers with a total page count in the body."""

    def __init__(self, *, total_pages_path: str, page_param: str = "page", start: int = 1) -> None:
        super().__init__(start)
        self.total_pages_path = total_pages_path
        self.page_param = page_param

    def request_params(self) -> dict[str, Any]:
        return {self.page_param: self.current_value}

    def get_next(self, response: requests.Response) -> int | None:
        total = json_path(json_of(response), self.total_pages_path)
        if total is None or self.current_value >= int(total):
            return None
        return self.current_value + 1


class NextLinkPaginator(BasePaginator[str | None]):
    """The body names the absolute URL of the next page (`@odata.nextLink`, ARM `nextLink`)."""

    def __init__(self, next_path: str = "@odata.nextLink") -> None:
        super().__init__(None)
        self.next_path = next_path

    def get_next(self, response: requests.Response) -> str | None:
        body = json_of(response)
        link = body.get(self.next_path) if isinstance(body, dict) else None
        return str(link) if link else None

    def request_url(self, default: str) -> str:
        return self.current_value or default


class CursorTokenPaginator(BasePaginator[str | None]):
    """An opaque continuation token in the body, sent back as a query parameter."""

    def __init__(self, *, token_path: str, param_name: str) -> None:
        super().__init__(None)
        self.token_path = token_path
        self.param_name = param_name

    def get_next(self, response: requests.Response) -> str | None:
        token = json_path(json_of(response), self.token_path)
        return str(token) if token else None

    def request_params(self) -> dict[str, Any]:
        return {self.param_name: self.current_value} if self.current_value else {}
