"""Base of every sandbox tenant: deterministic data from a seed and a scale, an admin API to
mutate that data between runs, fault injection, and the `hub.yaml` block that points at it.

A sandbox subclass implements:
- `build_routes(router)`: its API surface, with the real paging, auth, delta and error shapes;
- `admin(op, args)`: named mutations (`hire`, `terminate`, `create_user`...) used by scenarios,
  tests and the demo, in-process or over `POST /_admin/{op}` with a JSON body;
- `instance_config()`: the connector config (a dict for `hub.yaml`) that points at the sandbox.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from core.sandbox.ca import SandboxCA
from core.sandbox.faults import Fault, FaultPlan
from core.sandbox.server import Request, Response, Router, SandboxServer, json_response


class Sandbox(ABC):
    """A fake tenant of one external system. Use as a context manager or start()/stop()."""

    #: the connector type this sandbox fakes (also the prefix of scenario steps: `workday.hire`)
    name: ClassVar[str]
    #: whether the connector reads answers over HTTP (the contract kit feeds those bad bodies)
    http_answers: ClassVar[bool] = True
    #: op -> the argument names it takes (None: open-ended fields the op checks itself), so scenario
    #: files are checked before anything runs; a sandbox that declares nothing takes no scenario steps
    admin_arguments: ClassVar[Mapping[str, frozenset[str] | None]] = {}

    def __init__(
        self, *, seed: int = 7, scale: int = 50, ca: SandboxCA | None = None, workdir: Path | None = None
    ):
        self.seed = seed
        self.scale = scale
        self.workdir = workdir or Path(".hub/sandbox") / self.name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ca = ca or SandboxCA(self.workdir.parent)
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self.server: SandboxServer | None = None

    @classmethod
    def for_connector(cls, connector_cls: type) -> type[Sandbox]:
        """The sandbox class for one connector type: itself, unless it is generic (the fixture
        sandbox of declarative sources specialises itself per definition)."""
        return cls

    # -- what each sandbox provides -------------------------------------------------------
    @abstractmethod
    def build_routes(self, router: Router) -> None:
        """Register the fake API's routes."""

    @abstractmethod
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        """Apply a named mutation; raise ValueError with a clear message for unknown ops/args."""

    @abstractmethod
    def instance_config(self) -> dict[str, Any]:
        """The connector config that points at this running sandbox (secrets as literals)."""

    def start_services(self) -> None:
        """Start anything besides the HTTPS server (an SFTP server, a database file)."""

    def stop_services(self) -> None:
        """Stop what `start_services` started."""

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError(f"sandbox {self.name} is not started")
        return self.server.url

    @property
    def ca_path(self) -> str:
        return str(self.ca.ca_path)

    def start(self, port: int = 0) -> Sandbox:
        router = Router()
        router.add("POST", r"/_admin/faults", self._admin_faults)
        router.add("DELETE", r"/_admin/faults", self._admin_clear_faults)
        router.add("POST", r"/_admin/(?P<op>[a-z_]+)", self._admin_http)
        self.build_routes(router)
        self.server = SandboxServer(router, self.ca.server_context(), faults=self.faults, port=port)
        self.server.start()
        self.start_services()
        return self

    def stop(self) -> None:
        self.stop_services()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def arm(self, fault: Fault) -> None:
        """Arm a fault in-process (tests); over HTTP use `POST /_admin/faults`."""
        self.faults.arm(fault)

    @property
    def state(self) -> dict[str, Any]:
        """Request-visible shared state (e.g. the `expire_tokens` flag set by a fault)."""
        return self.server.state if self.server else {}

    # -- admin over HTTP -------------------------------------------------------------------
    def _admin_http(self, request: Request) -> Response:
        op = request.params["op"]
        try:
            args = request.json() or {}
            with self.lock:
                result = self.admin(op, args)
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return Response(200, json.dumps({"ok": True, "result": result}, default=str).encode())

    def _admin_faults(self, request: Request) -> Response:
        try:
            fault = self.faults.arm_from_dict(request.json() or {})
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"armed": fault.kind, "faults": self.faults.describe()})

    def _admin_clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return json_response({"faults": []})
