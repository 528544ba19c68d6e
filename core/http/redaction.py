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
#: names whose value is a credential wherever they appear (JSON, form bodies, Python reprs)
_CREDENTIAL_NAMES = (
    r"access_token|refresh_token|id_token|client_secret|client_assertion|password|passwd|"
    r"secret_?access_?key|aws_secret_access_key|session_?token|security_?token|x-amz-security-token|"
    r"sessionId|api_?key|x-api-key|authorization|cookie|set-cookie|sig|signature|x-amz-signature"
)
_CREDENTIAL_SHAPES = [
    # Bearer/Basic credentials, AWS Credential= scopes
    re.compile(r"(?i)(\bbearer\s+|\bbasic\s+|\bcredential=)([^\s\"',;]+)"),
    # `"access_token": "..."`, `'SecretAccessKey': '...'`, `password=...&`, `'Authorization': b'...'`
    re.compile(
        rf"(?i)([\"']?\b(?:{_CREDENTIAL_NAMES})\b[\"']?\s*[:=]\s*(?:b(?=[\"']))?[\"']?"
        r"(?:(?:AWS4-HMAC-SHA256|bearer|basic)\s+)?)([^\s\"'&,;<>}]+)"
    ),
    # XML elements: <SecretAccessKey>...</SecretAccessKey>, <wsse:Password ...>...</wsse:Password>
    re.compile(rf"(?i)(<(?:\w+:)?(?:{_CREDENTIAL_NAMES})\b[^>]*>)([^<]+)"),
    # signed URLs anywhere in text: ?sig=..., &X-Amz-Signature=..., ?code=...
    re.compile(
        r"(?i)([?&;](?:[\w.-]*(?:token|secret|password|signature|sig|credential|code|key))=)([^&\s\"'#]+)"
    ),
    # a signature logged on its own line ("Signature:\n3f2a...")
    re.compile(r"(?i)(signature\s*[:=]?\s*)([0-9a-f]{40,})"),
    # JSON Web Tokens (access tokens, client assertions)
    re.compile(r"()(eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*)"),
]


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
    """Mask every known secret value and anything shaped like a credential (bearer and basic
    credentials, token/key/password fields in JSON, XML, forms and reprs, URL signatures, AWS
    signatures and session tokens, JWTs)."""
    out = text
    for shape in _CREDENTIAL_SHAPES:
        out = shape.sub(lambda m: m.group(1) + MASK, out)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, MASK)
    return out
