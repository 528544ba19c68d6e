"""The Airflow plugin (entry point `airflow.plugins`): the console's app at `/hub-console`, and a
"Hub console" entry in Airflow's navigation that shows it inside the Airflow UI.

Airflow loads every plugin in every process (scheduler, DAG processor, each task), but only the
API server serves the app: it is built on its first request, so loading the plugin costs the
other processes nothing."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

PREFIX = "/hub-console"


class LazyConsoleApp:
    """An ASGI app that builds the console's FastAPI app when the API server first calls it."""

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from core.airflow.console.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


class HubConsolePlugin(AirflowPlugin):
    name = "hub_console"
    fastapi_apps = [{"app": LazyConsoleApp(), "url_prefix": PREFIX, "name": "Hub console"}]
    external_views = [
        {
            "name": "Hub console",
            "href": f"{PREFIX.lstrip('/')}/",
            "url_route": "hub-console",
            "destination": "nav",
            "nav_top_level": True,
        }
    ]
