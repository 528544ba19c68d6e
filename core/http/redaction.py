"""Redaction of secrets in anything the HTTP layer logs or raises."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token", "api-key"}
)
SENSITIVE_PARAMS = re.compile(
    r"(token|secret|password|passwd|signature|sig|key|code|assertion|session)", re.IGNORECASE
)
_INLINE = re.compile(
    r"(?i)(bearer\s+|basic\s+|\"?(?:access_token|refresh_token|client_secret|password|id_token)\"?\s*[:=]\s*\"?)"
    r"([^\s\"&,;]+)"
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def redact_url(url: str) -> str:
    """Mask user-info and sensitive query parameters (`?access_token=...`, SAS `sig=`)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    query = urlencode(
        [
            (k, MASK if SENSITIVE_PARAMS.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*$,:'/",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask bearer/basic credentials, token-looking fields and every known secret value."""
    out = _INLINE.sub(lambda m: m.group(1) + MASK, text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, MASK)
    return out
