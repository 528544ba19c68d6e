"""Server-rendered pages: one Jinja template per page, every link relative to the mount point."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from core.cli.times import deployment_time
from core.errors import HubError

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

PAGES = (
    ("", "Overview"),
    ("people", "Provisioning log"),
    ("approvals", "Approvals"),
    ("quarantine", "Quarantine"),
    ("review", "Review queue"),
    ("outbox", "Outbox"),
    ("deadlines", "Deadlines"),
)


@pass_context
def when(context: Context, value: Any) -> str:
    """A time as the CLI prints it: in the deployment's zone with its offset (core.cli.times), so
    a page, `hub status` and a cron mail show an operator the same `09:00:00-06:00`."""
    return deployment_time(value, context.get("zone") or "UTC")


def duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


templates.env.filters["when"] = when
templates.env.filters["duration"] = duration


def page(
    request: Request, template: str, active: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """`template` with the navigation, the operator and the deployment's time zone (for `when`)."""
    return templates.TemplateResponse(
        request,
        template,
        {
            "base": request.scope.get("root_path", ""),
            "pages": PAGES,
            "active": active,
            "operator": request.state.operator,
            "zone": deployment_zone(),
            **{"done": request.query_params.get("done"), **context},
        },
        status_code=status_code,
    )


def deployment_zone() -> str:
    """hub.yaml's `timezone`; UTC while no hub.yaml loads (the error page still renders)."""
    from core.airflow.console.context import current_hub

    try:
        return current_hub().config.timezone
    except (HubError, OSError):  # the page reports the loading error itself
        return "UTC"
