"""Bearer-token bookkeeping for sandboxes: issue, validate, expire (to fake expired tokens)."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Literal

TokenVerdict = Literal["ok", "expired", "invalid"]


class TokenStore:
    def __init__(self, ttl_seconds: int = 3600) -> None:
        self.ttl = ttl_seconds
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, prefix: str = "sbx") -> tuple[str, int]:
        token = f"{prefix}.{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = time.time() + self.ttl
        return token, self.ttl

    def issued(self) -> list[str]:
        """Every token handed out (tests grep logs for them)."""
        with self._lock:
            return list(self._tokens)

    def expire_all(self) -> None:
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def verdict(self, authorization: str | None, state: dict[str, object] | None = None) -> TokenVerdict:
        if state is not None and state.pop("expire_tokens", False):
            self.expire_all()
        if not authorization or not authorization.lower().startswith("bearer "):
            return "invalid"
        token = authorization[7:].strip()
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            return "invalid"
        return "ok" if expires > time.time() else "expired"
