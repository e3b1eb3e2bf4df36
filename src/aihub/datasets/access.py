"""Named verbs for access to a dataset's files: licence acceptance (registered tier),
access requests (approval tier), the download decision and the download log.

``file_for_download`` is the one function deciding whether an actor may download a file;
routes, pages and the CLI all go through it. The caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.datasets import policy
from aihub.datasets.licences import CUSTOM, get_licence
from aihub.datasets.models import (
    AccessRequest,
    AccessTier,
    Dataset,
    DatasetFile,
    DatasetVersion,
    DownloadLog,
    LicenceAcceptance,
)
from aihub.datasets.services import hold_user, lock_for_change, text_field
from aihub.datasets.status import ACCESS_TRANSITIONS, AccessStatus, check_transition
from aihub.datasets.versions import find_file, get_version
from aihub.db import utcnow
from aihub.errors import (
    AihubError,
    Conflict,
    FieldErrors,
    Forbidden,
    NotAuthenticated,
    NotFound,
)

MAX_REASON = 200  # Hugging Face's limit for a rejection reason
MAX_PURPOSE = 2_000
MAX_PERIOD_DAYS = 5 * 366


class VersionWithdrawn(AihubError):  # noqa: N818 - reads as the answer it is
    """The version was taken down: its files are gone for good (HTTP 410)."""

    status_code = 410


def accepted_terms(dataset: Dataset) -> str:
    """What an acceptance records of the licence: its id, and for custom terms a digest of
    their text too (``custom:<24 hex>``, within the column's 32 characters), since the
    hosts may rewrite those terms under the same id and must then be asked again."""
    if dataset.licence_id != CUSTOM:
        return dataset.licence_id
    digest = hashlib.sha256(dataset.licence_text.encode("utf-8")).hexdigest()
    return f"{CUSTOM}:{digest[:24]}"


def has_accepted_licence(session: Session, dataset: Dataset, user_id: int | None) -> bool:
    """Whether the member accepted the dataset's current licence (and current terms)."""
    if user_id is None:
        return False
    return bool(session.scalar(select(exists().where(
        LicenceAcceptance.dataset_id == dataset.id, LicenceAcceptance.user_id == user_id,
        LicenceAcceptance.licence_id == accepted_terms(dataset)))))


def _granted(today: date) -> ColumnElement[bool]:
    """An accepted, unrevoked request whose period is not over: the member asked for the
    data until ``ends_on``, and was granted it until then; after it, they ask again."""
    return and_(AccessRequest.status == AccessStatus.ACCEPTED.value,
                AccessRequest.ends_on >= today)


def _open(today: date) -> ColumnElement[bool]:
    """A request still waiting for its answer, or granted, for a period not yet over: one
    whose period passed (even unanswered) no longer stops the member from asking again."""
    return and_(AccessRequest.status.in_([AccessStatus.PENDING.value,
                                          AccessStatus.ACCEPTED.value]),
                AccessRequest.ends_on >= today)


def has_access(session: Session, dataset: Dataset, user_id: int | None,
               today: date | None = None) -> bool:
    """Whether the member holds an accepted, unrevoked request for the dataset, within
    the period it asked for."""
    if user_id is None:
        return False
    return bool(session.scalar(select(exists().where(
        AccessRequest.dataset_id == dataset.id, AccessRequest.user_id == user_id,
        _granted(today or utcnow().date())))))


def accept_licence(
    session: Session, dataset: Dataset, actor: Actor, *, purpose: str = "",
    now: datetime | None = None,
) -> LicenceAcceptance:
    """Accept the dataset's current licence (again, if it changed since)."""
    user = actor.require_user()
    text = text_field("purpose", purpose, limit=500)
    row = session.scalar(select(LicenceAcceptance).where(
        LicenceAcceptance.dataset_id == dataset.id, LicenceAcceptance.user_id == user.id))
    if row is None:
        row = LicenceAcceptance(dataset_id=dataset.id, user_id=user.id)
        session.add(row)
    row.licence_id, row.purpose, row.accepted_at = accepted_terms(dataset), text, now or utcnow()
    session.flush()
    return row


def _check_period(starts_on: date, ends_on: date, today: date) -> None:
    if ends_on < starts_on:
        raise FieldErrors({"ends_on": "the period ends before it starts."})
    if ends_on < today:
        raise FieldErrors({"ends_on": "the period is over already; give the dates you will "
                                      "use the data."})
    if (ends_on - starts_on).days > MAX_PERIOD_DAYS:
        raise FieldErrors({"ends_on": "a period is at most five years; ask again later."})


def request_access(
    session: Session, dataset: Dataset, actor: Actor, *, purpose: str, starts_on: date,
    ends_on: date, commercial_use: bool, organization: str = "", due_days: int,
    now: datetime | None = None,
) -> AccessRequest:
    """Ask for an approval-tier dataset, stating the purpose; answered by its hosts or a
    curator within ``due_days``. A refused or revoked member may ask again."""
    user = actor.require_user()
    if AccessTier(dataset.access_tier) != AccessTier.APPROVAL:
        raise Conflict(f"{dataset.slug!r} is {dataset.access_tier}: it needs no request"
                       + (" (accept its licence instead)." if dataset.access_tier ==
                          AccessTier.REGISTERED.value else "."))
    if commercial_use and not get_licence(dataset.licence_id).commercial_use:
        raise FieldErrors({"commercial_use": f"the licence {dataset.licence_id} forbids "
                                             "commercial use of this data."})
    now = now or utcnow()
    _check_period(starts_on, ends_on, now.date())
    hold_user(session, user.id)
    open_request = session.scalar(select(AccessRequest.status).where(
        AccessRequest.dataset_id == dataset.id, AccessRequest.user_id == user.id,
        _open(now.date())))
    if open_request is not None:
        raise Conflict(f"You have a {open_request} request for {dataset.slug!r} already; "
                       "GET /api/v1/access-requests/mine shows it.")
    request = AccessRequest(
        dataset_id=dataset.id, user_id=user.id,
        organization=text_field("organization", organization, limit=200),
        purpose=text_field("purpose", purpose, limit=MAX_PURPOSE, required=True),
        starts_on=starts_on, ends_on=ends_on, commercial_use=commercial_use,
        status=AccessStatus.PENDING.value, reason="", created_at=now,
        due_at=now + timedelta(days=due_days),
    )
    session.add(request)
    session.flush()
    return request


def get_access_request(session: Session, request_id: int, actor: Actor) -> AccessRequest:
    """A request its maker or the dataset's hosts may see; 'not found' for others."""
    request = session.get(AccessRequest, request_id)
    dataset = session.get(Dataset, request.dataset_id) if request is not None else None
    if request is None or dataset is None or not (
            request.user_id == actor.user_id or policy.can_answer_access(actor, dataset)):
        raise NotFound(f"No access request {request_id} is yours to see.")
    return request


def _reason(value: str, *, required: bool) -> str:
    text = value.strip()
    if len(text) > MAX_REASON:
        raise FieldErrors({"reason": f"is {len(text)} characters long; the limit is "
                                     f"{MAX_REASON}: say it shortly."})
    return text_field("reason", text, limit=MAX_REASON, required=required)


def decide_access_request(
    session: Session, request: AccessRequest, actor: Actor, *, accept: bool,
    reason: str = "", now: datetime | None = None,
) -> AccessRequest:
    """Pending → accepted, or rejected with a reason (at most 200 characters)."""
    user = actor.require_user()
    dataset = session.get_one(Dataset, request.dataset_id)
    if not policy.can_answer_access(actor, dataset):
        raise Forbidden(f"Only the hosts of {dataset.slug!r} and the curators answer its "
                        "access requests.")
    text = _reason(reason, required=not accept)
    new = AccessStatus.ACCEPTED if accept else AccessStatus.REJECTED
    lock_for_change(session, request, "status")
    check_transition(ACCESS_TRANSITIONS, AccessStatus(request.status), new,
                     f"Access request {request.id}")
    now = now or utcnow()
    if accept and request.ends_on < now.date():
        raise Conflict(f"Access request {request.id} asked for the data until "
                       f"{request.ends_on:%Y-%m-%d}, which is over; refuse it, and the "
                       "member may ask again for new dates.")
    request.status, request.reason = new.value, text
    request.decided_by_id, request.decided_at = user.id, now
    session.flush()
    return request


def revoke_access(
    session: Session, request: AccessRequest, actor: Actor, *, reason: str,
    now: datetime | None = None,
) -> AccessRequest:
    """Accepted → revoked, with a reason; the member may ask again."""
    user = actor.require_user()
    dataset = session.get_one(Dataset, request.dataset_id)
    if not policy.can_answer_access(actor, dataset):
        raise Forbidden(f"Only the hosts of {dataset.slug!r} and the curators revoke access.")
    text = _reason(reason, required=True)
    lock_for_change(session, request, "status")
    check_transition(ACCESS_TRANSITIONS, AccessStatus(request.status), AccessStatus.REVOKED,
                     f"Access request {request.id}")
    request.status, request.reason = AccessStatus.REVOKED.value, text
    request.revoked_by_id, request.revoked_at = user.id, now or utcnow()
    session.flush()
    return request


def list_access_requests(
    session: Session, dataset: Dataset, actor: Actor, status: str | None = None
) -> list[AccessRequest]:
    """A dataset's requests, oldest due first, for its hosts and the curators."""
    if not policy.can_answer_access(actor, dataset):
        raise Forbidden(f"Only the hosts of {dataset.slug!r} and the curators see its "
                        "access requests.")
    query = select(AccessRequest).where(AccessRequest.dataset_id == dataset.id)
    if status:
        if status not in {s.value for s in AccessStatus}:
            raise FieldErrors({"status": f"{status[:20]!r} is not a status; choose "
                                         f"{', '.join(AccessStatus)}."})
        query = query.where(AccessRequest.status == status)
    return list(session.scalars(query.order_by(AccessRequest.due_at, AccessRequest.id)))


def my_access_requests(session: Session, actor: Actor) -> list[tuple[AccessRequest, str]]:
    """The actor's requests, newest first, each with its dataset's slug."""
    user = actor.require_user()
    rows = session.execute(
        select(AccessRequest, Dataset.slug).join(Dataset, Dataset.id == AccessRequest.dataset_id)
        .where(AccessRequest.user_id == user.id)
        .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc()))
    return [(request, slug) for request, slug in rows]


@dataclass(frozen=True)
class DownloadGrant:
    """What may be served: the file, its version and dataset, and whether to log it."""

    dataset: Dataset
    version: DatasetVersion
    file: DatasetFile
    log: bool


def _refusal(decision: policy.Download, dataset: Dataset, version: DatasetVersion) -> AihubError:
    slug = dataset.slug
    match decision:
        case policy.Download.WITHDRAWN:
            return VersionWithdrawn(f"Version {version.label} of {slug!r} was withdrawn: "
                                    f"{version.reason}")
        case policy.Download.UNPUBLISHED:
            return Conflict(f"Version {version.label} of {slug!r} is {version.status}; its "
                            "files are served once it is published.")
        case policy.Download.LOG_IN:
            return NotAuthenticated(f"{slug!r} is for registered members: log in (send "
                                    "'Authorization: Bearer <token>') and accept its licence.")
        case policy.Download.ACCEPT_LICENCE:
            return Forbidden(f"Accept the licence of {slug!r} ({dataset.licence_id}) first: "
                             f"POST /api/v1/datasets/{slug}/licence.")
        case policy.Download.REQUEST_ACCESS:
            return Forbidden(f"{slug!r} needs an approved access request: POST "
                             f"/api/v1/datasets/{slug}/access-requests, then wait for the "
                             "hosts' answer.")
    return NotFound(f"{slug!r} has no version {version.label!r}.")


def file_for_download(
    session: Session, actor: Actor, dataset: Dataset, ref: str, path: str
) -> DownloadGrant:
    """The file at ``path`` of version ``ref`` (label or rev) if the actor may download
    it by the dataset's tier; else the error saying what to do (log in, accept the
    licence, request access) or 'not found' where the version is not theirs to see."""
    version = get_version(session, dataset, ref, actor)
    decision = policy.download(
        actor, dataset, version,
        licence_accepted=has_accepted_licence(session, dataset, actor.user_id),
        access_granted=has_access(session, dataset, actor.user_id),
    )
    if decision != policy.Download.ALLOWED:
        raise _refusal(decision, dataset, version)
    item = find_file(session, version, path)
    if item is None:
        raise NotFound(f"Version {version.label} of {dataset.slug!r} has no file "
                       f"{path[:200]!r}.")
    return DownloadGrant(dataset, version, item, policy.logs_downloads(dataset))


def record_download(
    session: Session, grant: DownloadGrant, actor: Actor, now: datetime | None = None
) -> DownloadLog | None:
    """Log a download of a registered or approval-tier file (not of open data)."""
    if not grant.log:
        return None
    row = DownloadLog(user_id=actor.user_id, version_id=grant.version.id,
                      file_id=grant.file.id, at=now or utcnow())
    session.add(row)
    session.flush()
    return row
