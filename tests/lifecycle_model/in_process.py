"""Scenarios played without sockets: the Workday sandbox answers the real connector's requests
in-process, so a generated timeline costs what the hub's own work costs.

Everything but the network is the real path: the Workday connector (its client, SOAP envelopes,
paging, transaction-log windows and parsing), the sync runner, mapping, store, resolution,
lifecycle and built-in desk, driven by the scenario runner's own step handlers. Only the socket
and TLS are replaced, by a `requests` adapter that hands each request to the sandbox's router.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from connectors.workday.sandbox import WorkdaySandbox
from core.errors import HubError
from core.hub import Hub
from core.sandbox import fake_clock
from core.sandbox.ca import SandboxCA
from core.sandbox.fleet import SandboxFleet
from core.sandbox.server import Request, Router
from core.scenario.runner import START_HOUR_UTC, ScenarioResult, _Run
from core.scenario.spec import Scenario
from core.store.engine import open_store

BASE_URL = "https://workday.in-process.invalid"


class RouterAdapter(BaseAdapter):
    """A `requests` transport that answers from a sandbox router, in this thread."""

    def __init__(self, router: Router) -> None:
        super().__init__()
        self.router = router

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(str(request.url))
        method = str(request.method)
        handler, params, _ = self.router.resolve(method, url.path)
        if handler is None:
            raise requests.ConnectionError(f"no sandbox route for {method} {url.path}")
        body = request.body or b""
        answer = handler(
            Request(
                method=method,
                path=url.path,
                query=parse_qs(url.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body.encode() if isinstance(body, str) else body,
                params=params,
            )
        )
        response = requests.Response()
        response.status_code = answer.status
        response._content = answer.body
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


class _NoServer:
    """Where a started sandbox keeps its server: here only the URL it is reached at."""

    url = BASE_URL
    state: dict[str, Any] = {}


@cache
def _shared_ca() -> SandboxCA:
    return SandboxCA(Path(tempfile.mkdtemp(prefix="hub-model-ca-")))


class InProcessFleet(SandboxFleet):
    """The Workday sandbox, not listening on any port."""

    def start(self) -> InProcessFleet:
        sandbox = WorkdaySandbox(
            seed=self.seed, scale=self.scale, ca=_shared_ca(), workdir=self.workdir / "workday"
        )
        sandbox.server = _NoServer()  # type: ignore[assignment]
        self.router = Router()
        sandbox.build_routes(self.router)
        self.sandboxes["workday"] = sandbox
        return self

    def stop(self) -> None:
        self.sandboxes.clear()


@cache
def _migrated_store() -> Path:
    """A migrated empty store, copied for each run (migrations are the same every time)."""
    path = Path(tempfile.mkdtemp(prefix="hub-model-store-")) / "template.db"
    open_store(f"sqlite:///{path}").engine.dispose()
    return path


def run_in_process(scenario: Scenario) -> ScenarioResult:
    """Run a Workday-only scenario as `hub scenario run` would, minus the sockets."""
    fake_clock.set_now(
        datetime(scenario.start.year, scenario.start.month, scenario.start.day, START_HOUR_UTC, tzinfo=UTC)
    )
    lines: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="hub-model-") as tmp:
            store = Path(tmp) / "hub.db"
            shutil.copyfile(_migrated_store(), store)
            fleet = InProcessFleet(Path(tmp) / "sandbox", seed=scenario.seed, scale=scenario.scale)
            with fleet:
                run = _Run(scenario, fleet, f"sqlite:///{store}", lines.append)
                _mount(run.hub, fleet.router)
                for step in scenario.steps:
                    try:
                        run.step(step)
                    except HubError as exc:
                        run.result.failures.append(f"{scenario.path}:{step.line}: {step.kind} failed: {exc}")
                        break
                run.hub.store.engine.dispose()
    finally:
        fake_clock.set_now(None)
    result = run.result
    result.passed = not result.failures
    return result


def _mount(hub: Hub, router: Router) -> None:
    connector: Any = hub.connector("workday")
    connector.client.http.session.mount(BASE_URL, RouterAdapter(router))
