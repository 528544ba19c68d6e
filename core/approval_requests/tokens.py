"""Decision tokens: what a Teams card carries so a response can be verified before it counts.

A token is `<claims>.<signature>`, both base64url: the claims name the approval request (a random
id that is also the single-use key), the subject kind and id, the one decision it allows and its
expiry; the signature is HMAC-SHA256 over the claims with the hub's signing key. So a token for
"approve hold H" can neither reject H nor approve anything else, stops working at its expiry, and
counts once (the request's state, not the token, is what is spent). Verification compares the
signature in constant time and says why a token is refused, never echoing the token itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

DECISIONS = ("approve", "reject")
#: a token longer than this is refused unread: the claims are a few hundred bytes
MAX_TOKEN_LENGTH = 2_048


class TokenRefused(Exception):
    """Why a token does not count; the message is safe to log (no token, no key)."""


@dataclass(frozen=True)
class Claims:
    request_id: str
    kind: str
    subject_id: str
    decision: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def issue(key: bytes, claims: Claims) -> str:
    if claims.decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {claims.decision!r}")
    body = {
        "r": claims.request_id,
        "k": claims.kind,
        "s": claims.subject_id,
        "d": claims.decision,
        "exp": int(claims.expires_at.timestamp()),
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(key, payload)}"


def verify(key: bytes, token: object, *, now: datetime) -> Claims:
    """The token's claims, if the hub signed it and it has not expired; else TokenRefused."""
    if not isinstance(token, str) or not token:
        raise TokenRefused("no decision token in the response")
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1 or not token.isascii():
        # the hub issues base64url text only; anything else is refused before it is signed over
        raise TokenRefused("the decision token is malformed")
    payload, signature = token.split(".")
    if not hmac.compare_digest(_sign(key, payload).encode(), signature.encode("ascii", "replace")):
        raise TokenRefused(
            "the decision token's signature does not match (not issued by this hub, or altered)"
        )
    try:
        body = json.loads(_unb64(payload))
        claims = Claims(
            request_id=str(body["r"]),
            kind=str(body["k"]),
            subject_id=str(body["s"]),
            decision=str(body["d"]),
            expires_at=datetime.fromtimestamp(int(body["exp"]), UTC),
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenRefused("the decision token is malformed") from None
    if claims.decision not in DECISIONS:
        raise TokenRefused("the decision token names no known decision")
    if now >= claims.expires_at:
        raise TokenRefused(f"the decision token expired at {claims.expires_at:%Y-%m-%d %H:%M} UTC")
    return claims
