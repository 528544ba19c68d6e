"""Sandbox tenants: faithful local fakes of each external system, served over HTTPS.

They are product features: `make demo`, the tests and the benchmarks all run on them, and the
connectors talk to them exactly as to production (same code, the sandbox CA as `ca_bundle`).
"""

from core.sandbox.base import Sandbox
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import Fault, FaultPlan
from core.sandbox.server import Request, Response, SandboxServer, json_response

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
