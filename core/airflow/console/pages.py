"""The console's pages (GET): each reads the store through the `core` function the CLI uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.airflow.console.access import Reader
from core.airflow.console.approvals_queue import action_page, approvals_page
from core.airflow.console.context import current_hub
from core.airflow.console.deadlines_chart import WIDTH, segments
from core.airflow.console.overview import overview
from core.airflow.console.people import search_people
from core.airflow.console.provision import people_sources
from core.airflow.console.queues import outbox_entry, outbox_page
from core.airflow.console.render import page
from core.airflow.console.timeline import person_timeline
from core.lifecycle.deadlines import deadline_report
from core.resolve.review import open_reviews
from core.store.operator_log import recent
from core.store.quarantine_query import entry, open_entries

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, _: Reader) -> Response:
    hub = current_hub()
    return page(request, "overview.html", "", **overview(hub.store, hub.config))


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, _: Reader, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    hub = current_hub()
    found = search_people(hub.store, q)
    if len(found) == 1:
        return RedirectResponse(
            f"{request.scope.get('root_path', '')}/people/{found[0]['id']}", status_code=303
        )
    return page(request, "people.html", "people", query=q, found=found, sources=people_sources(hub))


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: str, _: Reader) -> Response:
    hub = current_hub()
    doc = person_timeline(hub.store, person_id, hub.config.timezone)
    return page(request, "person.html", "people", doc=doc, sources=people_sources(hub))


@router.get("/approvals", response_class=HTMLResponse)
def approvals_list(request: Request, _: Reader) -> Response:
    """What waits for a decision: the hub's actions awaiting approval, then the held runs."""
    return page(request, "approvals.html", "approvals", **approvals_page(current_hub()))


@router.get("/holds")
def holds_list(request: Request, _: Reader) -> RedirectResponse:
    """The page held runs had before actions joined them: old links and bookmarks still land."""
    return RedirectResponse(f"{request.scope.get('root_path', '')}/approvals", status_code=301)


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_detail(request: Request, action_id: str, _: Reader) -> Response:
    return page(request, "action.html", "approvals", action=action_page(current_hub(), action_id))


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine_list(request: Request, _: Reader) -> Response:
    store = current_hub().store
    return page(
        request,
        "quarantine.html",
        "quarantine",
        entries=open_entries(store),
        log=recent(store, kind="quarantine", limit=20),
    )


@router.get("/quarantine/{entry_id}", response_class=HTMLResponse)
def quarantine_entry(request: Request, entry_id: int, _: Reader) -> Response:
    return page(request, "quarantine_entry.html", "quarantine", entry=entry(current_hub().store, entry_id))


@router.get("/review", response_class=HTMLResponse)
def review_list(request: Request, _: Reader) -> Response:
    store = current_hub().store
    return page(
        request,
        "review.html",
        "review",
        items=open_reviews(store),
        log=recent(store, kind="review", limit=20),
    )


@router.get("/outbox", response_class=HTMLResponse)
def outbox_list(request: Request, _: Reader) -> Response:
    return page(request, "outbox.html", "outbox", **outbox_page(current_hub().store))


@router.get("/outbox/{intent_id}", response_class=HTMLResponse)
def outbox_intent(request: Request, intent_id: int, _: Reader) -> Response:
    return page(request, "outbox_entry.html", "outbox", intent=outbox_entry(current_hub().store, intent_id))


@router.get("/deadlines", response_class=HTMLResponse)
def deadlines_page(request: Request, _: Reader) -> Response:
    hub = current_hub()
    report = deadline_report(hub.store)
    return page(
        request,
        "deadlines.html",
        "deadlines",
        report=report,
        bar=segments(report),
        bar_width=WIDTH,
        preset=hub.config.lifecycle.deadline_preset,
    )
