"""Who may look and who may act, decided by Airflow's auth manager, never by the console.

Airflow mounts a plugin's FastAPI app without its own authentication, so every console route
depends on `reader` (a signed-in Airflow user: the session cookie the UI set at login, or a
bearer token) and every action on `actor`: a user allowed to edit DAG runs (Airflow's User, Op
and Admin roles; a Viewer is not). An action must also come from a page of this origin, so a
form on another site cannot act with the operator's cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView, DagAccessEntity
from airflow.api_fastapi.core_api.security import get_user
from fastapi import Depends, HTTPException, Request, status


@dataclass(frozen=True)
class Operator:
    name: str
    can_act: bool


def reader(request: Request, user: Annotated[BaseUser, Depends(get_user)]) -> Operator:
    """The signed-in user; 401 without a session, 403 for a user the auth manager keeps out."""
    manager = get_auth_manager()
    if not manager.is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "your Airflow role may not open the hub console")
    can_act = manager.is_authorized_dag(method="PUT", access_entity=DagAccessEntity.RUN, user=user)
    operator = Operator(name=user.get_name(), can_act=can_act)
    request.state.operator = operator
    return operator


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    return urlsplit(source).netloc == request.headers.get("host")


def actor(request: Request, operator: Annotated[Operator, Depends(reader)]) -> Operator:
    """A user who may change what the hub does next (approve, reject, dismiss, resolve, retry)."""
    if not operator.can_act:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{operator.name} may only read the hub console: acting needs an Airflow role that may edit DAG runs",
        )
    if not _same_origin(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "actions are accepted only from the console's own pages"
        )
    return operator


Reader = Annotated[Operator, Depends(reader)]
Actor = Annotated[Operator, Depends(actor)]
