"""`POST /hub-console/teams/approval-response`: where the Teams approval workflow's HTTP action
sends an answer (Approve / Reject on a card the hub posted).

A mounted app of its own, outside the console's Airflow sign-in (`access.reader`): Power Automate
holds no Airflow session, so the answer is authenticated by what it carries instead, by
`core.approval_requests.receive` — the shared secret header, then the single-use token the hub
signed for that subject and decision. On the console's app rather than a receiver of its own: the
Airflow API server already serves it over the deployment's TLS with the hub loaded; a second
listener would be one more port, certificate and process to run and to secure.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.airflow.console.context import current_hub
from core.approval_requests.channel import RESPONSE_SECRET_HEADER
from core.approval_requests.receive import receive_response
from core.hub import Hub

#: an answer is a token, a decision, a note and a name: anything larger is not one
MAX_BODY_BYTES = 16 * 1024


def create_teams_app(hub: Callable[[], Hub] = current_hub) -> FastAPI:
    app = FastAPI(title="Hub Teams responses", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/approval-response")
    async def approval_response(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw) if len(raw) <= MAX_BODY_BYTES else None
        except ValueError:
            body = None
        client = request.client.host if request.client else ""
        outcome = await run_in_threadpool(  # the store is synchronous: off the event loop
            receive_response,
            hub(),
            body,
            presented_secret=request.headers.get(RESPONSE_SECRET_HEADER),
            client=client,
        )
        return JSONResponse({"accepted": outcome.accepted, "message": outcome.message}, outcome.status)

    return app


app = create_teams_app()
