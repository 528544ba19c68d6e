"""The console's FastAPI app, mounted by the plugin at `/hub-console`.

Every route depends on `access.reader` (nothing here is open); a hub error (a hold already
decided, an entry no longer open) is shown on a page with its hint, never as a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from core.airflow.console import actions, pages, provision, teams_response
from core.airflow.console.access import reader
from core.airflow.console.render import templates
from core.errors import HubError, NotFoundError


def create_app() -> FastAPI:
    app = FastAPI(
        title="Hub console",
        dependencies=[Depends(reader)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.middleware("http")
    async def framed_only_by_airflow(request: Request, call_next: Any) -> Response:
        """Only this origin (the Airflow UI) may frame the console: another site cannot overlay
        its buttons to make an operator click Approve (clickjacking)."""
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    app.include_router(pages.router)
    app.include_router(actions.router)
    app.include_router(provision.router)
    app.mount("/teams", teams_response.app)  # outside the sign-in: verified by what it carries

    @app.exception_handler(HubError)
    def hub_error(request: Request, exc: HubError) -> Response:
        return templates.TemplateResponse(
            request,
            "error.html",
            {"base": request.scope.get("root_path", ""), "message": exc.message, "hint": exc.hint},
            # what the address names does not exist (404), or cannot be done in its state (409)
            status_code=404 if isinstance(exc, NotFoundError) else 409,
        )

    @app.exception_handler(HTTPException)
    def refused(request: Request, exc: HTTPException) -> Response:
        return HTMLResponse(_refusal(exc), status_code=exc.status_code, headers=exc.headers)

    return app


def _refusal(exc: HTTPException) -> str:
    """401/403 as a short page: inside the Airflow UI's frame a JSON body would be unreadable."""
    from html import escape

    action = '<p><a href="/auth/login/?next=/plugin/hub-console" target="_top">Sign in to Airflow</a></p>'
    return (
        f"<!doctype html><title>Hub console</title><h1>{exc.status_code}</h1>"
        f"<p>{escape(str(exc.detail))}</p>{action if exc.status_code == 401 else ''}"
    )
