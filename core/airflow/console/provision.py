"""Provision on demand from the console, as Entra's button does: read one person from one source
now, show every step the hub would take (`core.provision.plan`, changes nothing), and apply it
on confirmation (`core.provision.apply`: that person's records and tickets only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from core.airflow.console.access import Actor, Reader
from core.airflow.console.context import current_hub
from core.airflow.console.render import page
from core.hub import Hub
from core.provision import apply, plan, plan_lines, result_lines
from core.store.operator_log import record

router = APIRouter()
EmployeeId = Annotated[str, Query(min_length=1, max_length=100)]


def people_sources(hub: Hub) -> list[str]:
    """Enabled source instances whose mapping makes people: where a person can be provisioned from."""
    return [
        i.name
        for i in hub.config.instances
        if i.enabled and any(m.entity == "person" for m in hub.mappings.for_connector(i.type))
    ]


@router.get("/provision", response_class=HTMLResponse)
def preview(
    request: Request, _: Reader, instance: Annotated[str, Query(max_length=100)], employee: EmployeeId
) -> Response:
    """The dry run: any signed-in user may see what would happen; only an actor gets the button."""
    hub = current_hub()
    planned = plan(hub, instance, employee)
    return page(
        request,
        "provision.html",
        "people",
        instance=instance,
        employee=planned.employee_id,
        lines=plan_lines(planned),
        applicable=planned.changes_anything,
        applied=False,
    )


@router.post("/provision", response_class=HTMLResponse)
def provision(
    request: Request,
    operator: Actor,
    instance: Annotated[str, Form(max_length=100)],
    employee: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """Plan again (the source may have moved since the preview) and apply what that plan says."""
    hub = current_hub()
    result = apply(hub, plan(hub, instance, employee))
    with hub.store.engine.begin() as conn:
        record(
            conn,
            actor=operator.name,
            action="provision",
            subject=f"person:{result.plan.employee_id}",
            detail={"instance": instance, "tickets": {k: s for k, (s, _) in result.ticket_states.items()}},
        )
    return page(
        request,
        "provision.html",
        "people",
        instance=instance,
        employee=result.plan.employee_id,
        lines=result_lines(result),
        applicable=False,
        applied=True,
        done=f"provisioned {result.plan.employee_id} from {instance} as {operator.name}",
    )
