"""The console's Teams response route served over real HTTP (uvicorn in a thread), so the
sandbox's approval workflow can send its HTTP action to it as Power Automate would."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from core.airflow.console.teams_response import create_teams_app
from core.hub import Hub


@contextmanager
def serve_responses(hub: Hub) -> Iterator[str]:
    """Yield the URL of `/approval-response` on a local port, serving `hub`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_teams_app(lambda: hub), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the Teams response app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/approval-response"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
