"""Who may see and do what in the data catalog. Every route, command and job asks here.

The catalog is public, its files are tiered: anyone reads a dataset's metadata once one of
its versions is published; the files follow the dataset's access tier. Until then, and for
versions not yet published, only the owning organization's hosts and the curators see it.
Curators may do everything hosts may.
"""

from __future__ import annotations

from enum import StrEnum

from aihub.accounts.actor import Actor
from aihub.datasets.models import AccessTier, DataRequest, Dataset, DatasetVersion
from aihub.datasets.status import PUBLIC_VERSION_STATES, DataRequestStatus, VersionStatus


def is_host(actor: Actor, dataset: Dataset) -> bool:
    """Members of the owning organization host the dataset; curators may do all hosts may."""
    return actor.is_curator or dataset.organization_id in actor.org_ids


def can_create_in(actor: Actor, organization_id: int) -> bool:
    return actor.is_curator or organization_id in actor.org_ids


def can_view(actor: Actor, dataset: Dataset) -> bool:
    return dataset.published_at is not None or is_host(actor, dataset)


def can_view_version(actor: Actor, dataset: Dataset, version: DatasetVersion) -> bool:
    """Published and withdrawn versions (a tombstone) are public; the rest are the hosts'."""
    if VersionStatus(version.status) in PUBLIC_VERSION_STATES:
        return can_view(actor, dataset)
    return is_host(actor, dataset)


def can_edit(actor: Actor, dataset: Dataset) -> bool:
    """Change metadata, create versions, attach files, submit, withdraw."""
    return is_host(actor, dataset)


def can_see_findings(actor: Actor, dataset: Dataset) -> bool:
    """PII findings and intake errors: masked, but still about people; hosts and curators."""
    return is_host(actor, dataset)


def can_curate(actor: Actor) -> bool:
    """Publish or reject a version, decide PII findings: curators only."""
    return actor.is_curator


def can_answer_access(actor: Actor, dataset: Dataset) -> bool:
    return is_host(actor, dataset)


def can_request(actor: Actor) -> bool:
    """Ask for access or for data: any member who is logged in."""
    return actor.user is not None


class Download(StrEnum):
    """The answer to "may this actor download this version's files?", with what to do."""

    ALLOWED = "allowed"
    HIDDEN = "hidden"  # the actor may not know the version exists
    WITHDRAWN = "withdrawn"  # taken down: its reason is public, its files are not
    UNPUBLISHED = "unpublished"  # visible (to nobody but hosts) yet not downloadable
    LOG_IN = "log_in"
    ACCEPT_LICENCE = "accept_licence"
    REQUEST_ACCESS = "request_access"


def download(
    actor: Actor, dataset: Dataset, version: DatasetVersion, *,
    licence_accepted: bool, access_granted: bool,
) -> Download:
    """The one rule for downloads, by the dataset's tier: open, anyone; registered, a
    member who accepted the current licence; approval, a member with an accepted,
    unrevoked request. Hosts and curators always; unpublished versions only for them;
    withdrawn versions for nobody but them."""
    if not can_view_version(actor, dataset, version):
        return Download.HIDDEN
    if is_host(actor, dataset):
        return Download.ALLOWED
    status = VersionStatus(version.status)
    if status == VersionStatus.WITHDRAWN:
        return Download.WITHDRAWN
    if status != VersionStatus.PUBLISHED:
        return Download.UNPUBLISHED
    return _by_tier(actor, AccessTier(dataset.access_tier), licence_accepted, access_granted)


def _by_tier(
    actor: Actor, tier: AccessTier, licence_accepted: bool, access_granted: bool
) -> Download:
    if tier == AccessTier.OPEN:
        return Download.ALLOWED
    if actor.user is None:
        return Download.LOG_IN
    if tier == AccessTier.REGISTERED:
        return Download.ALLOWED if licence_accepted else Download.ACCEPT_LICENCE
    return Download.ALLOWED if access_granted else Download.REQUEST_ACCESS


def logs_downloads(dataset: Dataset) -> bool:
    """Registered and approval tiers keep a per-user download log."""
    return AccessTier(dataset.access_tier) != AccessTier.OPEN


def can_answer_data_request(actor: Actor, request: DataRequest) -> bool:
    """Curators, and the hosts of the organization a request is addressed to."""
    return actor.is_curator or (
        request.addressed_to_id is not None and request.addressed_to_id in actor.org_ids
    )


def can_fulfil_with(actor: Actor, request: DataRequest, dataset: Dataset) -> bool:
    """Answer a request with a dataset: who may answer it, with a dataset they host."""
    return can_answer_data_request(actor, request) and is_host(actor, dataset)


def is_open_request(request: DataRequest) -> bool:
    return DataRequestStatus(request.status) not in (
        DataRequestStatus.FULFILLED, DataRequestStatus.REJECTED
    )
