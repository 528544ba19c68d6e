"""Sandbox of the example directory: token endpoint, cursor paging, updated_since filter."""

from __future__ import annotations

import base64
import random
from typing import Any, ClassVar
from urllib.parse import parse_qs

from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

CLIENT_ID, CLIENT_SECRET = "example-client", "example-secret-value"
FIRST = ["Ana", "Björn", "Chloé", "Dev", "Eun-ji", "Farid", "Grace", "Hemi"]
LAST = ["Ruiz", "Åberg", "Okafor", "Nguyen", "Kealoha", "Moreau", "Shah", "Ito"]


class ExampleSandbox(Sandbox):
    name = "example"
    throttle_path: ClassVar[str] = r"^/api/people$"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = TokenStore()
        rng = random.Random(self.seed)
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        self.people: dict[str, dict[str, Any]] = {}
        self._sequence = 0
        for i in range(self.scale):
            self._put(
                {
                    "id": f"p{i:06d}",
                    "employee_number": f"E{10001 + i}",
                    "first_name": rng.choice(FIRST),
                    "last_name": rng.choice(LAST),
                    "email": f"user{i}@example.org",
                    "department": rng.choice(["FIN", "IT", "HR"]),
                    "status": "active",
                    "updated_at": stamp,
                }
            )

    def _put(self, person: dict[str, Any]) -> None:
        self._sequence += 1
        person["updated_at"] = f"{person['updated_at'][:19]}.{self._sequence:09d}"
        self.people[person["id"]] = person

    def build_routes(self, router: Router) -> None:
        router.add("POST", r"/oauth/token", self._token)
        router.add("GET", r"/api/people", self._people)

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response(
                {"error": "invalid_client", "error_description": "client secret rejected"}, 401
            )
        token, ttl = self.tokens.issue()
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": ttl})

    def _people(self, request: Request) -> Response:
        verdict = self.tokens.verdict(request.header("authorization"), request.sandbox_state)
        if verdict != "ok":
            return json_response({"error": f"token {verdict}"}, 401)
        since = request.arg("updated_since") or ""
        limit = min(int(request.arg("limit") or 100), 1000)
        start = int(base64.urlsafe_b64decode(request.arg("cursor") or "MA==").decode())
        with self.lock:
            changed = sorted(
                (p for p in self.people.values() if p["updated_at"] > since), key=lambda p: p["updated_at"]
            )
        page = changed[start : start + limit]
        more = start + limit < len(changed)
        cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode() if more else None
        return json_response({"people": page, "next_cursor": cursor})

    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if op == "hire":
            person = {
                "id": f"p{len(self.people):06d}",
                "status": "active",
                "email": None,
                "department": None,
                "updated_at": clock.now().strftime("%Y-%m-%dT%H:%M:%S"),
                **args,
            }
            self._put(person)
            return person["id"]
        if op == "terminate":
            person = next(p for p in self.people.values() if p["employee_number"] == args["employee_number"])
            self._put(
                {**person, "status": "terminated", "updated_at": clock.now().strftime("%Y-%m-%dT%H:%M:%S")}
            )
            return person["id"]
        raise ValueError(f"unknown example admin op {op!r}; known: hire, terminate")

    def instance_config(self) -> dict[str, Any]:
        return {
            "base_url": self.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "ca_bundle": self.ca_path,
            "page_size": 20,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"client_secret": "wrong-secret"}
