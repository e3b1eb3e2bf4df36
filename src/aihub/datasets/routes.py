"""Catalog API: datasets, their versions, files and the version lifecycle.

Routes parse, call the services (which ask ``policy``) and answer with the data functions
of ``schemas``, which the pages share. Access (licences, requests, downloads) is in
``access_routes``, data requests in ``request_routes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.datasets import intake, search, services, versions
from aihub.datasets.licences import license_list
from aihub.datasets.models import Dataset, DatasetVersion
from aihub.datasets.schemas import (
    DatasetDetail,
    DatasetPage,
    FileOut,
    VersionDetail,
    dataset_detail,
    dataset_page,
    file_out,
    version_detail,
)
from aihub.datasets.uploads import forget_upload, get_completed_upload
from aihub.db import utcnow
from aihub.deps import ActorDep, HubDep, ReadSession
from aihub.errors import NotFound, PayloadTooLarge
from aihub.hub import Hub
from aihub.storage import TooLargeError

router = APIRouter(prefix="/api/v1", tags=["datasets"])

Text300 = Annotated[str, Field(max_length=300)]
LongText = Annotated[str, Field(max_length=100_000)]


class DatasetIn(BaseModel):
    organization: Annotated[str, Field(max_length=64)]
    slug: Annotated[str, Field(max_length=100)]
    title_ko: Text300
    title_en: Text300 = ""
    description_ko: LongText = ""
    description_en: LongText = ""
    tags: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=50)] = []
    licence: Annotated[str, Field(max_length=40)]
    licence_text: LongText = ""
    access_tier: Annotated[str, Field(max_length=16)] = "open"
    source: Annotated[str, Field(max_length=10_000)] = ""


class DatasetPatch(BaseModel):
    title_ko: Text300 | None = None
    title_en: Text300 | None = None
    description_ko: LongText | None = None
    description_en: LongText | None = None
    tags: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=50)] | None = None
    licence: Annotated[str, Field(max_length=40)] | None = None
    licence_text: LongText | None = None
    access_tier: Annotated[str, Field(max_length=16)] | None = None
    source: Annotated[str, Field(max_length=10_000)] | None = None


class VersionIn(BaseModel):
    label: Annotated[str, Field(max_length=64)]
    message: Annotated[str, Field(max_length=10_000)]


class ReasonIn(BaseModel):
    reason: Annotated[str, Field(max_length=10_000)]


class FindingDecisionIn(BaseModel):
    path: Annotated[str, Field(max_length=1024)]
    column: Annotated[str, Field(max_length=10_000)] = ""
    pattern_id: Annotated[str, Field(max_length=64)]
    decision: Annotated[str, Field(max_length=16)]
    reason: Annotated[str, Field(max_length=10_000)]


class FindingDecisionOut(BaseModel):
    path: str
    column: str
    pattern_id: str
    decision: str
    reason: str


class UploadAttachIn(BaseModel):
    upload_id: Annotated[str, Field(max_length=100)]
    path: Annotated[str, Field(max_length=1024)] | None = None
    media_type: Annotated[str, Field(max_length=127)] | None = None


Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=services.MAX_PER_PAGE)]
# Repeat a filter for any of several values: ?tag=air&tag=bus.
Values = Annotated[list[Annotated[str, Field(max_length=200)]] | None,
                   Query(max_length=search.MAX_FILTER_VALUES)]


@router.get("/licences")
def licences_route() -> list[dict[str, Any]]:
    """The licences a dataset may carry (CKAN's license_list shape, with KOGL 1-4)."""
    return license_list()


@router.get("/datasets", response_model=DatasetPage)
def list_route(
    session: ReadSession, actor: ActorDep,
    q: Annotated[str, Query(max_length=10_000)] = "", organization: Values = None,
    licence: Values = None, tier: Values = None,
    formats: Annotated[Values, Query(alias="format")] = None, tag: Values = None,
    sort: search.SortOrder = "relevance", page: Page = 1, per_page: PerPage = 20,
) -> DatasetPage:
    """The datasets the actor may see that hold every word of ``q`` (Korean words also
    inside longer words), with facets of all the matches; best matches first, or newest
    change first without ``q``. Filters of different kinds must all hold."""
    chosen: tuple[tuple[search.FilterField, list[str] | None], ...] = (
        ("organization", organization), ("licence", licence), ("tier", tier),
        ("format", formats), ("tag", tag))
    filters = tuple(search.Filter(name, tuple(values)) for name, values in chosen if values)
    return dataset_page(session, actor, search.SearchQuery(text=q, filters=filters, sort=sort),
                        page=page, per_page=per_page)


@router.post("/datasets", response_model=DatasetDetail, status_code=status.HTTP_201_CREATED)
def create_route(body: DatasetIn, actor: ActorDep, hub: HubDep) -> DatasetDetail:
    """A new dataset; only its hosts and curators see it until a version is published."""
    with hub.db.transaction() as session:
        dataset = services.create_dataset(
            session, actor, organization=body.organization, slug=body.slug,
            title_ko=body.title_ko, title_en=body.title_en, description_ko=body.description_ko,
            description_en=body.description_en, tags=body.tags, licence_id=body.licence,
            licence_text=body.licence_text, access_tier=body.access_tier, source=body.source,
        )
        return dataset_detail(session, services.get_dataset(session, dataset.slug), actor)


@router.get("/datasets/{slug}", response_model=DatasetDetail)
def show_route(slug: str, session: ReadSession, actor: ActorDep) -> DatasetDetail:
    return dataset_detail(session, services.get_visible_dataset(session, slug, actor), actor)


@router.patch("/datasets/{slug}", response_model=DatasetDetail)
def update_route(slug: str, body: DatasetPatch, actor: ActorDep, hub: HubDep) -> DatasetDetail:
    """Change a dataset's metadata (never a version's files); fields left out stay."""
    changes = services.DatasetChanges(
        title_ko=body.title_ko, title_en=body.title_en, description_ko=body.description_ko,
        description_en=body.description_en, tags=body.tags, licence_id=body.licence,
        licence_text=body.licence_text, access_tier=body.access_tier, source=body.source,
    )
    with hub.db.transaction() as session:
        dataset = services.get_visible_dataset(session, slug, actor)
        services.update_dataset(session, dataset, actor, changes)
        return dataset_detail(session, dataset, actor)


def _version(session: Session, slug: str, ref: str, actor: Actor
             ) -> tuple[Dataset, DatasetVersion]:
    dataset = services.get_visible_dataset(session, slug, actor)
    return dataset, versions.get_version(session, dataset, ref, actor)


@router.post("/datasets/{slug}/versions", response_model=VersionDetail,
             status_code=status.HTTP_201_CREATED)
def create_version_route(slug: str, body: VersionIn, actor: ActorDep, hub: HubDep
                         ) -> VersionDetail:
    """A new draft version; attach its files, then submit it."""
    with hub.db.transaction() as session:
        dataset = services.get_visible_dataset(session, slug, actor)
        version = versions.create_version(session, dataset, actor, label=body.label,
                                          message=body.message)
        return version_detail(session, dataset, version, actor)


@router.get("/datasets/{slug}/versions/{ref}", response_model=VersionDetail)
def show_version_route(slug: str, ref: str, session: ReadSession, actor: ActorDep
                       ) -> VersionDetail:
    """A version by label or rev: manifest, files, profiles; findings for its hosts."""
    dataset, version = _version(session, slug, ref, actor)
    return version_detail(session, dataset, version, actor)


@router.get("/datasets/{slug}/versions/{ref}/manifest")
def manifest_route(slug: str, ref: str, session: ReadSession, actor: ActorDep) -> Response:
    """The canonical manifest, byte for byte: its sha256 is the version's rev."""
    _, version = _version(session, slug, ref, actor)
    if version.manifest is None:
        raise NotFound(f"Version {version.label} of {slug!r} is a draft; its manifest is "
                       "made when it is submitted.")
    return Response(version.manifest.encode(), media_type="application/json",
                    headers={"ETag": f'"{version.rev}"'})


@router.post("/datasets/{slug}/versions/{ref}/files", response_model=FileOut,
             status_code=status.HTTP_201_CREATED)
def attach_route(
    slug: str, ref: str, file: UploadFile, actor: ActorDep, hub: HubDep,
    path: Annotated[str | None, Form(max_length=1024)] = None,
    media_type: Annotated[str | None, Form(max_length=127)] = None,
) -> FileOut:
    """Attach a file to a draft by a multipart upload (``path`` defaults to its name). For
    large files, upload over tus (/api/v1/uploads/) and attach by upload id."""
    with hub.db.reading() as session:  # refuse before storing a byte
        _, version = _version(session, slug, ref, actor)
        versions.check_attachable(version, actor)
    try:
        blob = hub.storage.put_file(file.file, max_bytes=hub.settings.max_dataset_file_bytes)
    except TooLargeError as exc:
        raise PayloadTooLarge(f"The file is {exc}; split it into parts.") from exc
    with hub.db.transaction() as session:
        dataset, version = _version(session, slug, ref, actor)
        item = versions.attach_file(session, hub.storage, version, actor,
                                    path=path or file.filename or "", sha256=blob.sha256,
                                    size=blob.size, media_type=media_type)
        return file_out(item, dataset, version, full=True, hosts=True)


@router.post("/datasets/{slug}/versions/{ref}/uploads", response_model=FileOut,
             status_code=status.HTTP_201_CREATED)
def attach_upload_route(slug: str, ref: str, body: UploadAttachIn, actor: ActorDep,
                        hub: HubDep) -> FileOut:
    """Attach a finished tus upload of yours to a draft (``path`` defaults to its name)."""
    user = actor.require_user()
    now = utcnow()
    with hub.db.reading() as session:  # the version's refusal first, then the upload's
        _, version = _version(session, slug, ref, actor)
        versions.check_attachable(version, actor)
    upload = get_completed_upload(hub.settings, body.upload_id, user.id, now)
    with hub.db.transaction() as session:
        dataset, version = _version(session, slug, ref, actor)
        item = versions.attach_file(session, hub.storage, version, actor,
                                    path=body.path or upload.filename, sha256=upload.blob.sha256,
                                    size=upload.blob.size, media_type=body.media_type)
        out = file_out(item, dataset, version, full=True, hosts=True)
    # After the commit: the upload cannot be attached twice, and its blob stays.
    forget_upload(hub.settings, body.upload_id, user.id, now)
    return out


@router.delete("/datasets/{slug}/versions/{ref}/files/{path:path}",
               status_code=status.HTTP_204_NO_CONTENT)
def remove_file_route(slug: str, ref: str, path: str, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.transaction() as session:
        _, version = _version(session, slug, ref, actor)
        versions.remove_file(session, version, actor, path)


def _lifecycle(hub: Hub, slug: str, ref: str, actor: Actor, verb: Callable[..., object], *args: Any
               ) -> VersionDetail:
    with hub.db.transaction() as session:
        dataset, version = _version(session, slug, ref, actor)
        verb(session, version, actor, *args)
        return version_detail(session, dataset, version, actor)


def _intake(hub: Hub, slug: str, ref: str, actor: Actor,
            verb: Callable[..., list[int]]) -> VersionDetail:
    with hub.db.transaction() as session:
        dataset, version = _version(session, slug, ref, actor)
        job_ids = verb(session, version, actor, max_attempts=hub.settings.job_max_attempts)
        detail = version_detail(session, dataset, version, actor)
    hub.executor.dispatch(job_ids)  # after the commit: the jobs exist for the workers
    return detail


@router.post("/datasets/{slug}/versions/{ref}/submit", response_model=VersionDetail)
def submit_route(slug: str, ref: str, actor: ActorDep, hub: HubDep) -> VersionDetail:
    """Draft → quarantine: the manifest and rev are fixed; intake jobs profile every file
    and scan it for personal data, then the version waits for a curator's review."""
    return _intake(hub, slug, ref, actor, intake.submit_for_intake)


@router.post("/datasets/{slug}/versions/{ref}/intake", response_model=VersionDetail)
def restart_intake_route(slug: str, ref: str, actor: ActorDep, hub: HubDep) -> VersionDetail:
    """Review → quarantine: run the intake again, e.g. after a file's intake failed
    (curators)."""
    return _intake(hub, slug, ref, actor, intake.restart_for_intake)


@router.post("/datasets/{slug}/versions/{ref}/publish", response_model=VersionDetail)
def publish_route(slug: str, ref: str, actor: ActorDep, hub: HubDep) -> VersionDetail:
    """Review → published (curators, once every finding is cleared)."""
    return _lifecycle(hub, slug, ref, actor, versions.publish_version)


@router.post("/datasets/{slug}/versions/{ref}/reject", response_model=VersionDetail)
def reject_route(slug: str, ref: str, body: ReasonIn, actor: ActorDep, hub: HubDep
                 ) -> VersionDetail:
    return _lifecycle(hub, slug, ref, actor, versions.reject_version, body.reason)


@router.post("/datasets/{slug}/versions/{ref}/withdraw", response_model=VersionDetail)
def withdraw_route(slug: str, ref: str, body: ReasonIn, actor: ActorDep, hub: HubDep
                   ) -> VersionDetail:
    """Published → withdrawn: the files are no longer served; the reason stays public."""
    return _lifecycle(hub, slug, ref, actor, versions.withdraw_version, body.reason)


@router.post("/datasets/{slug}/versions/{ref}/findings", response_model=FindingDecisionOut,
             status_code=status.HTTP_201_CREATED)
def decide_finding_route(slug: str, ref: str, body: FindingDecisionIn, actor: ActorDep,
                         hub: HubDep) -> FindingDecisionOut:
    """A curator clears or confirms one PII finding (file, column, pattern), with a reason."""
    with hub.db.transaction() as session:
        _, version = _version(session, slug, ref, actor)
        row = versions.decide_finding(session, version, actor, path=body.path,
                                      column=body.column, pattern_id=body.pattern_id,
                                      decision=body.decision, reason=body.reason)
        return FindingDecisionOut(path=body.path, column=row.column, pattern_id=row.pattern_id,
                                  decision=row.decision, reason=row.reason)

