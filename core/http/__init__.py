"""The shared HTTP layer: one `requests` session per connector with timeouts, retries that honour
Retry-After, a per-host request budget, pagination helpers and redaction of secrets in logs."""

from core.http.client import HttpClient
from core.http.pagination import (
    BasePaginator,
    CursorTokenPaginator,
    LinkHeaderPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from core.http.retry import RetryPolicy, parse_retry_after

__all__ = [
    "BasePaginator",
    "CursorTokenPaginator",
    "HttpClient",
    "LinkHeaderPaginator",
    "NextLinkPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "RetryPolicy",
    "parse_retry_after",
]
