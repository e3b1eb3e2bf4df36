"""Catalog API for access to files: downloads, licence acceptance, access requests, and
the challenges that use a dataset version."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from aihub.challenges.services import get_visible_challenge
from aihub.datasets import access, links, services, versions
from aihub.datasets.downloads import blob_response
from aihub.datasets.models import Dataset
from aihub.datasets.schemas import (
    AccessRequestOut,
    VersionSummary,
    access_request_out,
    access_request_outs,
    version_summary,
)
from aihub.db import utcnow
from aihub.deps import ActorDep, HubDep, ReadSession, RowId

router = APIRouter(prefix="/api/v1", tags=["datasets"])


def _logged(request: Request) -> bool:
    """A download worth a log row: a GET from the start, not a resumed range of it."""
    http_range = request.headers.get("range", "")
    return request.method == "GET" and (not http_range or http_range.startswith("bytes=0-"))


_FILE = "/datasets/{slug}/versions/{ref}/files/{path:path}"


@router.get(_FILE, response_class=Response, operation_id="download_dataset_file")
@router.head(_FILE, response_class=Response, operation_id="head_dataset_file")
def download_route(slug: str, ref: str, path: str, request: Request, actor: ActorDep,
                   hub: HubDep) -> Response:
    """A file of a version (by label or rev), if the dataset's tier lets the actor have
    it; streamed, with Range and the sha256 as ETag. Registered and approval-tier
    downloads are logged per member."""
    with hub.db.reading() as session:
        dataset = services.get_visible_dataset(session, slug, actor)
        grant = access.file_for_download(session, actor, dataset, ref, path)
    if grant.log and _logged(request):
        with hub.db.transaction() as session:
            access.record_download(session, grant, actor)
    return blob_response(request, hub.storage, grant.file.sha256,
                         filename=PurePosixPath(grant.file.path).name,
                         media_type=grant.file.media_type,
                         headers={"X-Dataset-Rev": grant.version.rev or ""})


class LicenceIn(BaseModel):
    purpose: Annotated[str, Field(max_length=2_000)] = ""


class LicenceAcceptanceOut(BaseModel):
    dataset: str
    licence: str
    purpose: str
    accepted_at: datetime


@router.post("/datasets/{slug}/licence", response_model=LicenceAcceptanceOut)
def accept_licence_route(slug: str, body: LicenceIn, actor: ActorDep, hub: HubDep
                         ) -> LicenceAcceptanceOut:
    """Accept the dataset's licence (registered tier: then its files may be downloaded)."""
    with hub.db.transaction() as session:
        dataset = services.get_visible_dataset(session, slug, actor)
        row = access.accept_licence(session, dataset, actor, purpose=body.purpose)
        return LicenceAcceptanceOut(dataset=slug, licence=dataset.licence_id, purpose=row.purpose,
                                    accepted_at=row.accepted_at)


class AccessRequestIn(BaseModel):
    organization: Annotated[str, Field(max_length=1_000)] = ""
    purpose: Annotated[str, Field(max_length=10_000)]
    starts_on: date
    ends_on: date
    commercial_use: bool = False


class DecisionIn(BaseModel):
    accept: bool
    reason: Annotated[str, Field(max_length=10_000)] = ""


class RevokeIn(BaseModel):
    reason: Annotated[str, Field(max_length=10_000)]


def _out(session: ReadSession, request_id: int, actor: ActorDep) -> AccessRequestOut:
    request = access.get_access_request(session, request_id, actor)
    dataset = session.get_one(Dataset, request.dataset_id)
    return access_request_out(session, request, dataset.slug, utcnow())


@router.post("/datasets/{slug}/access-requests", response_model=AccessRequestOut,
             status_code=status.HTTP_201_CREATED)
def request_access_route(slug: str, body: AccessRequestIn, actor: ActorDep, hub: HubDep
                         ) -> AccessRequestOut:
    """Ask for an approval-tier dataset, stating the purpose; answered by its due date."""
    with hub.db.transaction() as session:
        dataset = services.get_visible_dataset(session, slug, actor)
        request = access.request_access(
            session, dataset, actor, purpose=body.purpose, starts_on=body.starts_on,
            ends_on=body.ends_on, commercial_use=body.commercial_use,
            organization=body.organization, due_days=hub.settings.access_request_days)
        return access_request_out(session, request, slug, utcnow())


@router.get("/datasets/{slug}/access-requests", response_model=list[AccessRequestOut])
def list_requests_route(
    slug: str, session: ReadSession, actor: ActorDep,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> list[AccessRequestOut]:
    """A dataset's access requests, the oldest due first (its hosts and curators)."""
    dataset = services.get_visible_dataset(session, slug, actor)
    now = utcnow()
    return access_request_outs(
        session, [(r, slug) for r in access.list_access_requests(session, dataset, actor,
                                                                 status_)], now)


@router.get("/access-requests/mine", response_model=list[AccessRequestOut])
def my_requests_route(session: ReadSession, actor: ActorDep) -> list[AccessRequestOut]:
    now = utcnow()
    return access_request_outs(session, access.my_access_requests(session, actor), now)


@router.get("/access-requests/{request_id}", response_model=AccessRequestOut)
def show_request_route(request_id: RowId, session: ReadSession, actor: ActorDep
                       ) -> AccessRequestOut:
    return _out(session, request_id, actor)


@router.post("/access-requests/{request_id}/decision", response_model=AccessRequestOut)
def decide_route(request_id: RowId, body: DecisionIn, actor: ActorDep, hub: HubDep
                 ) -> AccessRequestOut:
    """Accept, or reject with a reason of at most 200 characters."""
    with hub.db.transaction() as session:
        request = access.get_access_request(session, request_id, actor)
        access.decide_access_request(session, request, actor, accept=body.accept,
                                     reason=body.reason)
        return _out(session, request_id, actor)


@router.post("/access-requests/{request_id}/revoke", response_model=AccessRequestOut)
def revoke_route(request_id: RowId, body: RevokeIn, actor: ActorDep, hub: HubDep
                 ) -> AccessRequestOut:
    with hub.db.transaction() as session:
        request = access.get_access_request(session, request_id, actor)
        access.revoke_access(session, request, actor, reason=body.reason)
        return _out(session, request_id, actor)


class ChallengeDatasetIn(BaseModel):
    dataset: Annotated[str, Field(max_length=100)]
    version: Annotated[str, Field(max_length=64)]
    role: Annotated[str, Field(max_length=64)] = "training data"


class ChallengeDatasetOut(BaseModel):
    dataset: str
    title_ko: str
    title_en: str
    role: str
    version: VersionSummary


@router.get("/challenges/{slug}/datasets", response_model=list[ChallengeDatasetOut])
def challenge_datasets_route(slug: str, session: ReadSession, actor: ActorDep
                             ) -> list[ChallengeDatasetOut]:
    """The dataset versions a challenge uses."""
    challenge = get_visible_challenge(session, slug, actor)
    return [ChallengeDatasetOut(dataset=item.dataset.slug, title_ko=item.dataset.title_ko,
                                title_en=item.dataset.title_en, role=item.role,
                                version=version_summary(item.version))
            for item in links.challenge_datasets(session, challenge)]


@router.post("/challenges/{slug}/datasets", response_model=list[ChallengeDatasetOut],
             status_code=status.HTTP_201_CREATED)
def link_route(slug: str, body: ChallengeDatasetIn, actor: ActorDep, hub: HubDep
               ) -> list[ChallengeDatasetOut]:
    """Link a published dataset version to a challenge (its hosts)."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        dataset = services.get_visible_dataset(session, body.dataset, actor)
        version = versions.get_version(session, dataset, body.version, actor)
        links.link_challenge_dataset(session, challenge, version, actor, role=body.role)
        return challenge_datasets_route(slug, session, actor)


@router.delete("/challenges/{slug}/datasets/{dataset}/{ref}",
               status_code=status.HTTP_204_NO_CONTENT)
def unlink_route(slug: str, dataset: str, ref: str, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        found = services.get_visible_dataset(session, dataset, actor)
        version = versions.get_version(session, found, ref, actor)
        links.unlink_challenge_dataset(session, challenge, version, actor)
