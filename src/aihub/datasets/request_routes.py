"""Data request API: ask for data the catalog lacks, support, answer, extend, fulfil."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from aihub.accounts.actor import Actor
from aihub.datasets import requests, services, versions
from aihub.datasets.schemas import DataRequestOut, data_request_out, data_request_outs
from aihub.db import utcnow
from aihub.deps import ActorDep, HubDep, ReadSession, RowId
from aihub.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["data requests"])


class DataRequestIn(BaseModel):
    title: Annotated[str, Field(max_length=1_000)]
    description: Annotated[str, Field(max_length=50_000)]
    organization: Annotated[str, Field(max_length=1_000)] = ""
    addressed_to: Annotated[str, Field(max_length=64)] | None = None


class AnswerIn(BaseModel):
    status: Annotated[str, Field(max_length=16)]
    answer: Annotated[str, Field(max_length=50_000)]
    legal_ground: Annotated[str, Field(max_length=1_000)] = ""


class ExtendIn(BaseModel):
    reason: Annotated[str, Field(max_length=10_000)]


class FulfilIn(BaseModel):
    dataset: Annotated[str, Field(max_length=100)]
    version: Annotated[str, Field(max_length=64)] | None = None
    answer: Annotated[str, Field(max_length=50_000)] = ""


class DataRequestPage(BaseModel):
    count: int
    page: int
    per_page: int
    items: list[DataRequestOut]


@router.get("/data-requests", response_model=DataRequestPage)
def list_route(
    session: ReadSession, actor: ActorDep,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=requests.MAX_PER_PAGE)] = 20,
) -> DataRequestPage:
    """Public requests for data, the most supported first."""
    rows, total = requests.list_data_requests(session, status=status_, page=page,
                                              per_page=per_page)
    now = utcnow()
    return DataRequestPage(count=total, page=page, per_page=per_page,
                           items=data_request_outs(session, rows, actor, now))


@router.post("/data-requests", response_model=DataRequestOut,
             status_code=status.HTTP_201_CREATED)
def create_route(body: DataRequestIn, actor: ActorDep, hub: HubDep) -> DataRequestOut:
    """Ask for data the catalog does not hold; answered by its due date."""
    with hub.db.transaction() as session:
        request = requests.create_data_request(
            session, actor, title=body.title, description=body.description,
            organization=body.organization, addressed_to=body.addressed_to,
            due_days=hub.settings.data_request_days)
        return data_request_out(session, request, actor, utcnow())


@router.get("/data-requests/{request_id}", response_model=DataRequestOut)
def show_route(request_id: RowId, session: ReadSession, actor: ActorDep) -> DataRequestOut:
    return data_request_out(session, requests.get_data_request(session, request_id), actor,
                            utcnow())


def _change(hub: Hub, request_id: int, actor: Actor, verb: Callable[..., object], **kw: object
            ) -> DataRequestOut:
    with hub.db.transaction() as session:
        request = requests.get_data_request(session, request_id)
        verb(session, request, actor, **kw)
        return data_request_out(session, request, actor, utcnow())


@router.post("/data-requests/{request_id}/support", response_model=DataRequestOut)
def support_route(request_id: RowId, actor: ActorDep, hub: HubDep) -> DataRequestOut:
    """Add your "me too" (once)."""
    return _change(hub, request_id, actor, requests.support_data_request)


@router.delete("/data-requests/{request_id}/support", response_model=DataRequestOut)
def unsupport_route(request_id: RowId, actor: ActorDep, hub: HubDep) -> DataRequestOut:
    return _change(hub, request_id, actor, requests.withdraw_support)


@router.post("/data-requests/{request_id}/answer", response_model=DataRequestOut)
def answer_route(request_id: RowId, body: AnswerIn, actor: ActorDep, hub: HubDep
                 ) -> DataRequestOut:
    """Move to under_review, accepted or rejected (with its legal ground), with an answer."""
    return _change(hub, request_id, actor, requests.answer_data_request, status=body.status,
                   answer=body.answer, legal_ground=body.legal_ground)


@router.post("/data-requests/{request_id}/extend", response_model=DataRequestOut)
def extend_route(request_id: RowId, body: ExtendIn, actor: ActorDep, hub: HubDep
                 ) -> DataRequestOut:
    """Push the due date back once, by the same period again, saying why."""
    return _change(hub, request_id, actor, requests.extend_data_request, reason=body.reason,
                   days=hub.settings.data_request_days)


@router.post("/data-requests/{request_id}/fulfil", response_model=DataRequestOut)
def fulfil_route(request_id: RowId, body: FulfilIn, actor: ActorDep, hub: HubDep
                 ) -> DataRequestOut:
    """Answer the request with a published dataset (and version) you host."""
    with hub.db.transaction() as session:
        request = requests.get_data_request(session, request_id)
        dataset = services.get_visible_dataset(session, body.dataset, actor)
        version = versions.get_version(session, dataset, body.version, actor) \
            if body.version else None
        requests.fulfil_data_request(session, request, actor, dataset, version=version,
                                     answer=body.answer)
        return data_request_out(session, request, actor, utcnow())
