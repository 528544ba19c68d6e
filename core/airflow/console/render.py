"""Server-rendered pages: one Jinja template per page, every link relative to the mount point."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

PAGES = (
    ("", "Overview"),
    ("people", "Provisioning log"),
    ("holds", "Holds"),
    ("quarantine", "Quarantine"),
    ("review", "Review queue"),
    ("outbox", "Outbox"),
    ("deadlines", "Deadlines"),
)


def when(value: Any) -> str:
    """Times in UTC, marked as such (the hub stores UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return "-" if value is None else str(value)


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
    return templates.TemplateResponse(
        request,
        template,
        {
            "base": request.scope.get("root_path", ""),
            "pages": PAGES,
            "active": active,
            "operator": request.state.operator,
            **{"done": request.query_params.get("done"), **context},
        },
        status_code=status_code,
    )
