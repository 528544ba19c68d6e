"""Sandbox tenants: faithful local fakes of each external system, served over HTTPS.

They are product features: `make demo`, the tests and the benchmarks all run on them, and the
connectors talk to them exactly as to production (same code, the sandbox CA as `ca_bundle`).

The names below load on first use: `hub --help` lists `hub sandbox` without importing the TLS
and certificate machinery behind them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.sandbox.base import Sandbox
    from core.sandbox.ca import SandboxCA
    from core.sandbox.faults import Fault, FaultPlan
    from core.sandbox.server import Request, Response, SandboxServer, json_response

_HOMES = {
    "Sandbox": "core.sandbox.base",
    "SandboxCA": "core.sandbox.ca",
    "Fault": "core.sandbox.faults",
    "FaultPlan": "core.sandbox.faults",
    "Request": "core.sandbox.server",
    "Response": "core.sandbox.server",
    "SandboxServer": "core.sandbox.server",
    "json_response": "core.sandbox.server",
}

__all__ = [
    "Fault",
    "FaultPlan",
    "Request",
    "Response",
    "Sandbox",
    "SandboxCA",
    "SandboxServer",
    "json_response",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'core.sandbox' has no attribute {name!r}")
    return getattr(import_module(home), name)
