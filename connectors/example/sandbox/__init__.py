"""Sandbox of the example directory: token endpoint, cursor paging, `updated_since` filter.

People come from the shared organisation (`core.sandbox.org.roster`), so the example describes the
same agency as every other sandbox; each person carries its own `updated_at`, one tick apart, as a
real change log would.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar
from urllib.parse import parse_qs

from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.org import Person, roster
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

CLIENT_ID, CLIENT_SECRET = "example-client", "example-secret-value"


def _person(person: Person) -> dict[str, Any]:
    return {
        "id": f"p{person.index:06d}",
        "employee_number": person.employee_id,
        "first_name": person.given_name,
        "last_name": person.family_name,
        "email": person.email,
        "department": person.department.code,
        "status": "terminated" if person.status == "terminated" else "active",
        "hire_date": person.hire_date.isoformat(),
        "updated_at": "",
    }


class ExampleSandbox(Sandbox):
    name = "example"
    throttle_path: ClassVar[str] = r"^/api/people$"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = TokenStore()
        self.people: dict[str, dict[str, Any]] = {}
        self._sequence = 0
        self._duplicate_next = False
        for person in roster(self.seed, self.scale):
            self._put(_person(person))

    def _put(self, person: dict[str, Any]) -> str:
        """Store a person with a fresh `updated_at` (later than every earlier one)."""
        self._sequence += 1
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        person["updated_at"] = f"{stamp}.{self._sequence:09d}"
        self.people.pop(person["id"], None)
        self.people[person["id"]] = person
        return str(person["id"])

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
            if self._duplicate_next and changed:
                self._duplicate_next = False
                changed.insert(1, dict(changed[0]))
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
                "hire_date": clock.today().isoformat(),
                **args,
            }
            return self._put(person)
        if op in ("terminate", "update"):
            number = args.get("employee_number")
            found = [p for p in self.people.values() if p["employee_number"] == number]
            if not found:
                raise ValueError(f"no person with employee_number {number!r}")
            person = found[0]
            changes = {"status": "terminated"} if op == "terminate" else dict(args)
            return self._put({**person, **changes})
        raise ValueError(f"unknown example admin op {op!r}; known: hire, update, terminate")

    # -- the contract kit's hooks ----------------------------------------------------------------
    def kit_change(self, stream: str, count: int) -> list[str]:
        changed = list(self.people.values())[:count]
        return [self._put({**p, "department": "IT"}) for p in changed]

    def kit_duplicate(self, stream: str) -> str | None:
        self._duplicate_next = True
        first = min(self.people.values(), key=lambda p: p["updated_at"])
        return str(first["id"])

    def instance_config(self) -> dict[str, Any]:
        return {
            "base_url": self.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "ca_bundle": self.ca_path,
            "page_size": 20,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"client_secret": "wrong-secret-value"}
