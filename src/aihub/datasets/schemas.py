"""API shapes of the catalog, and the data functions that build them (shared with pages,
so a page can never show more than the API)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization, User
from aihub.datasets import access, policy
from aihub.datasets.findings import latest_decisions, version_findings
from aihub.datasets.licences import get_licence
from aihub.datasets.links import dataset_challenges
from aihub.datasets.models import (
    AccessRequest,
    DataRequest,
    DataRequestSupport,
    Dataset,
    DatasetFile,
    DatasetVersion,
)
from aihub.datasets.search import SearchQuery, load_datasets, search_datasets
from aihub.datasets.status import AccessStatus, DataRequestStatus, VersionStatus
from aihub.datasets.versions import version_files
from aihub.schemas import Text

API = "/api/v1"


class OrganizationOut(BaseModel):
    slug: str
    name: Text


class LicenceOut(BaseModel):
    id: str
    title: Text
    url: str
    commercial_use: bool
    derivatives: bool
    text: str = ""  # the terms of a custom licence


class VersionSummary(BaseModel):
    label: str
    rev: str | None
    status: str
    message: str
    file_count: int
    total_bytes: int
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    # Why it was rejected, blocked or withdrawn (a withdrawal's reason is public).
    reason: str


class ChallengeLinkOut(BaseModel):
    challenge: str
    version: str
    role: str


class DatasetSummary(BaseModel):
    slug: str
    title: Text
    organization: OrganizationOut
    tags: list[str]
    licence: LicenceOut
    access_tier: str
    published: bool
    latest_version: VersionSummary | None
    created_at: datetime
    updated_at: datetime


class DatasetDetail(DatasetSummary):
    description: Text
    source: str
    versions: list[VersionSummary]
    is_host: bool
    licence_accepted: bool
    # The actor's latest access request's status (approval tier), or None.
    access_request: str | None
    challenges: list[ChallengeLinkOut]


class FacetOut(BaseModel):
    value: str  # organization slug, licence id, tier, format (csv, parquet…) or tag
    count: int  # matching datasets the asker may see


class DatasetPage(BaseModel):
    count: int
    page: int
    per_page: int
    items: list[DatasetSummary]
    # Of every match, not only this page: organization, licence, tier, format, tag.
    facets: dict[str, list[FacetOut]] = {}


class FileOut(BaseModel):
    path: str
    size: int
    sha256: str
    media_type: str
    url: str
    # The profiler's summary; rows and frequent values only for those who may download.
    profile: dict[str, Any] | None = None
    # For the hosts and curators: the scanner's masked report and any intake failure.
    pii_report: dict[str, Any] | None = None
    intake_error: str | None = None


class FindingOut(BaseModel):
    path: str
    column: str
    pattern_id: str
    severity: str
    count: int
    decision: str | None
    reason: str | None
    decided_at: datetime | None


class VersionDetail(VersionSummary):
    dataset: str
    manifest: dict[str, Any] | None
    files: list[FileOut]
    # What the actor may do with the files: allowed, log_in, accept_licence, …
    download: str
    findings: list[FindingOut] | None = None  # hosts and curators only


def organization_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(slug=org.slug, name=Text(ko=org.name_ko, en=org.name_en))


def licence_out(dataset: Dataset) -> LicenceOut:
    licence = get_licence(dataset.licence_id)
    return LicenceOut(id=licence.id, title=Text(ko=licence.title_ko, en=licence.title_en),
                      url=licence.url, commercial_use=licence.commercial_use,
                      derivatives=licence.derivatives, text=dataset.licence_text)


def version_summary(version: DatasetVersion) -> VersionSummary:
    return VersionSummary(
        label=version.label, rev=version.rev, status=version.status, message=version.message,
        file_count=version.file_count, total_bytes=version.total_bytes,
        created_at=version.created_at, submitted_at=version.submitted_at,
        published_at=version.published_at, reason=version.reason,
    )


def _latest_published(session: Session, ids: list[int]) -> dict[int, DatasetVersion]:
    rows = session.scalars(
        select(DatasetVersion).where(DatasetVersion.dataset_id.in_(ids),
                                     DatasetVersion.status == VersionStatus.PUBLISHED.value)
        .order_by(DatasetVersion.published_at, DatasetVersion.id))
    return {row.dataset_id: row for row in rows}  # the last written is the latest


def dataset_summaries(session: Session, datasets: list[Dataset]) -> list[DatasetSummary]:
    """Summaries of a page of datasets: one more statement for all their versions."""
    latest = _latest_published(session, [d.id for d in datasets])
    return [dataset_summary(d, latest.get(d.id)) for d in datasets]


def dataset_summary(dataset: Dataset, latest: DatasetVersion | None) -> DatasetSummary:
    return DatasetSummary(
        slug=dataset.slug, title=Text(ko=dataset.title_ko, en=dataset.title_en),
        organization=organization_out(dataset.organization),
        tags=sorted(tag.name for tag in dataset.tags), licence=licence_out(dataset),
        access_tier=dataset.access_tier, published=dataset.published_at is not None,
        latest_version=version_summary(latest) if latest else None,
        created_at=dataset.created_at, updated_at=dataset.updated_at,
    )


def dataset_page(session: Session, actor: Actor, query: SearchQuery, *, page: int,
                 per_page: int) -> DatasetPage:
    """One page of a catalog search with its facets (the API's list and the catalog page)."""
    result = search_datasets(session, actor, replace(query, offset=(page - 1) * per_page,
                                                     limit=per_page))
    return DatasetPage(
        count=result.count, page=page, per_page=per_page,
        items=dataset_summaries(session, load_datasets(session, result.dataset_ids)),
        facets={name: [FacetOut(value=f.value, count=f.count) for f in counts]
                for name, counts in result.facets.items()},
    )


def _my_request_status(session: Session, dataset: Dataset, actor: Actor) -> str | None:
    if actor.user_id is None:
        return None
    return session.scalar(select(AccessRequest.status).where(
        AccessRequest.dataset_id == dataset.id, AccessRequest.user_id == actor.user_id)
        .order_by(AccessRequest.id.desc()).limit(1))


def dataset_detail(session: Session, dataset: Dataset, actor: Actor) -> DatasetDetail:
    versions = [v for v in session.scalars(select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset.id).order_by(DatasetVersion.id.desc()))
        if policy.can_view_version(actor, dataset, v)]
    published = [v for v in versions if v.status == VersionStatus.PUBLISHED.value]
    latest = max(published, key=lambda v: (v.published_at, v.id), default=None)
    return DatasetDetail(
        **dataset_summary(dataset, latest).model_dump(),
        description=Text(ko=dataset.description_ko, en=dataset.description_en),
        source=dataset.source, versions=[version_summary(v) for v in versions],
        is_host=policy.is_host(actor, dataset),
        licence_accepted=access.has_accepted_licence(session, dataset, actor.user_id),
        access_request=_my_request_status(session, dataset, actor),
        challenges=[ChallengeLinkOut(challenge=c, version=label, role=role)
                    for c, label, role in dataset_challenges(session, dataset)],
    )


def _public_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile without the data itself (first rows, frequent values): for those who
    may read the metadata but not download the files."""
    columns = [{k: v for k, v in column.items() if k != "top_values"}
               for column in profile.get("columns", []) if isinstance(column, dict)]
    return {**{k: v for k, v in profile.items() if k != "preview"}, "columns": columns}


def file_out(item: DatasetFile, dataset: Dataset, version: DatasetVersion, *,
             full: bool, hosts: bool) -> FileOut:
    profile = item.profile
    if profile is not None and not full:
        profile = _public_profile(profile)
    return FileOut(
        path=item.path, size=item.size, sha256=item.sha256, media_type=item.media_type,
        url=f"{API}/datasets/{dataset.slug}/versions/{version.label}/files/{item.path}",
        profile=profile, pii_report=item.pii_report if hosts else None,
        intake_error=item.intake_error if hosts else None,
    )


def findings_out(session: Session, version: DatasetVersion, files: list[DatasetFile]
                 ) -> list[FindingOut]:
    decisions = latest_decisions(session, version.id)
    out = []
    for finding in version_findings(files):
        decision = decisions.get(finding.key)
        out.append(FindingOut(
            path=finding.path, column=finding.column, pattern_id=finding.pattern_id,
            severity=finding.severity, count=finding.count,
            decision=decision.decision if decision else None,
            reason=decision.reason if decision else None,
            decided_at=decision.decided_at if decision else None))
    return out


def version_detail(
    session: Session, dataset: Dataset, version: DatasetVersion, actor: Actor
) -> VersionDetail:
    files = version_files(session, version)
    download = policy.download(
        actor, dataset, version,
        licence_accepted=access.has_accepted_licence(session, dataset, actor.user_id),
        access_granted=access.has_access(session, dataset, actor.user_id))
    hosts = policy.can_see_findings(actor, dataset)
    full = download == policy.Download.ALLOWED
    return VersionDetail(
        **version_summary(version).model_dump(), dataset=dataset.slug,
        manifest=json.loads(version.manifest) if version.manifest else None,
        files=[file_out(item, dataset, version, full=full, hosts=hosts) for item in files],
        download=download.value,
        findings=findings_out(session, version, files) if hosts else None,
    )


class AccessRequestOut(BaseModel):
    id: int
    dataset: str
    user: str
    organization: str
    purpose: str
    starts_on: date
    ends_on: date
    commercial_use: bool
    status: str
    reason: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    decided_at: datetime | None
    revoked_at: datetime | None


def _names(session: Session, column_id: Any, column_name: Any, ids: set[int]) -> dict[int, str]:
    """``column_name`` by ``column_id`` for ``ids``, in one statement."""
    if not ids:
        return {}
    rows = session.execute(select(column_id, column_name).where(column_id.in_(ids)))
    return dict(rows.all())


def _usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    return _names(session, User.id, User.username, user_ids)


def access_request_outs(session: Session, rows: list[tuple[AccessRequest, str]],
                        now: datetime) -> list[AccessRequestOut]:
    """Rows of (request, its dataset's slug), with one statement for all the usernames:
    a list of a hundred requests is not a hundred and one statements."""
    names = _usernames(session, {request.user_id for request, _ in rows})
    return [AccessRequestOut(
        id=request.id, dataset=slug, user=names.get(request.user_id, ""),
        organization=request.organization, purpose=request.purpose,
        starts_on=request.starts_on, ends_on=request.ends_on,
        commercial_use=request.commercial_use, status=request.status, reason=request.reason,
        created_at=request.created_at, due_at=request.due_at,
        overdue=request.status == AccessStatus.PENDING.value and now > request.due_at,
        decided_at=request.decided_at, revoked_at=request.revoked_at,
    ) for request, slug in rows]


def access_request_out(session: Session, request: AccessRequest, dataset_slug: str,
                       now: datetime) -> AccessRequestOut:
    return access_request_outs(session, [(request, dataset_slug)], now)[0]


class DataRequestOut(BaseModel):
    id: int
    title: str
    description: str
    requester: str
    organization: str
    addressed_to: str | None
    status: str
    answer: str
    legal_ground: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    extended_at: datetime | None
    extension_reason: str
    support_count: int
    supported: bool = Field(description="whether the asking member supports it")
    fulfilled_by: str | None  # a dataset's slug
    fulfilled_version: str | None


# Statuses in which a request waits for its answer; its due date is for that answer.
_AWAITING = (DataRequestStatus.RECEIVED.value, DataRequestStatus.UNDER_REVIEW.value)


def data_request_outs(session: Session, rows: list[DataRequest], actor: Actor,
                      now: datetime) -> list[DataRequestOut]:
    """The requests as the API shows them, with one statement per kind of name they refer
    to (requesters, organizations, datasets, versions, the actor's support) for them all."""
    names = _usernames(session, {request.requester_id for request in rows})
    targets = _names(session, Organization.id, Organization.slug,
                     {r.addressed_to_id for r in rows if r.addressed_to_id is not None})
    datasets = _names(session, Dataset.id, Dataset.slug,
                      {r.fulfilled_dataset_id for r in rows if r.fulfilled_dataset_id is not None})
    labels = _names(session, DatasetVersion.id, DatasetVersion.label,
                    {r.fulfilled_version_id for r in rows if r.fulfilled_version_id is not None})
    supported: set[int] = set()
    if actor.user_id is not None and rows:
        supported = set(session.scalars(select(DataRequestSupport.request_id).where(
            DataRequestSupport.user_id == actor.user_id,
            DataRequestSupport.request_id.in_([r.id for r in rows]))))
    return [DataRequestOut(
        id=request.id, title=request.title, description=request.description,
        requester=names.get(request.requester_id, ""), organization=request.organization,
        addressed_to=targets.get(request.addressed_to_id or 0),
        status=request.status, answer=request.answer, legal_ground=request.legal_ground,
        created_at=request.created_at, due_at=request.due_at,
        overdue=request.status in _AWAITING and now > request.due_at,
        extended_at=request.extended_at, extension_reason=request.extension_reason,
        support_count=request.support_count, supported=request.id in supported,
        fulfilled_by=datasets.get(request.fulfilled_dataset_id or 0),
        fulfilled_version=labels.get(request.fulfilled_version_id or 0),
    ) for request in rows]


def data_request_out(session: Session, request: DataRequest, actor: Actor,
                     now: datetime) -> DataRequestOut:
    return data_request_outs(session, [request], actor, now)[0]
