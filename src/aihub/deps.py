"""Request dependencies shared by every domain's routes: the hub, the session, the actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.services import actor_for_token
from aihub.errors import NotAuthenticated
from aihub.hub import Hub


# Dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the dependency itself.
async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]

# A row's id in an address. Bounded to the database's INTEGER, so that a huge number is a
# clear 422 rather than an overflow deep in PostgreSQL.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a numeric id")]


async def bearer_token(request: Request) -> str | None:
    """The request's API token, or None for a visitor."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(
            "The Authorization header must be 'Bearer <token>'; "
            "create a token with 'aihub token create'."
        )
    return value.strip()


BearerDep = Annotated[str | None, Depends(bearer_token)]


def authenticate(session: Session, token: str | None) -> Actor:
    """Who sends ``token``. Looked up on every request, never cached: a revoked token or a
    changed membership counts from the next request on."""
    if token is None:
        return VISITOR
    actor = actor_for_token(session, token)
    if actor is None:
        raise NotAuthenticated("This API token is unknown or revoked; create a new one.")
    return actor


def get_actor(hub: HubDep, token: BearerDep) -> Actor:
    if token is None:
        return VISITOR
    with hub.db.reading() as session:
        return authenticate(session, token)


ActorDep = Annotated[Actor, Depends(get_actor)]


def read_session(hub: HubDep) -> Iterator[Session]:
    with hub.db.reading() as session:
        yield session


def write_session(hub: HubDep) -> Iterator[Session]:
    with hub.db.transaction() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]
WriteSession = Annotated[Session, Depends(write_session)]
