"""Named verbs for data requests: members ask for data the catalog does not hold, others
add their support ("me too"), curators (and the hosts of the organization asked) answer
by a due date with one extension, and a dataset may fulfil the request.

Requests are public: anyone reads them. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization
from aihub.datasets import policy
from aihub.datasets.models import DataRequest, DataRequestSupport, Dataset, DatasetVersion
from aihub.datasets.services import flush_unique, lock_for_change, text_field
from aihub.datasets.status import (
    DATA_REQUEST_TRANSITIONS,
    DataRequestStatus,
    VersionStatus,
    check_transition,
)
from aihub.db import utcnow
from aihub.errors import Conflict, FieldErrors, Forbidden, NotFound

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
MAX_ANSWER = 5_000
MAX_PER_PAGE = 100


def create_data_request(
    session: Session, actor: Actor, *, title: str, description: str, organization: str = "",
    addressed_to: str | None = None, due_days: int, now: datetime | None = None,
) -> DataRequest:
    """A new request, due ``due_days`` from now; ``addressed_to`` names (by slug) the
    organization thought to hold the data, whose hosts may then answer it."""
    user = actor.require_user()
    target_id = None
    if addressed_to := text_field("addressed_to", addressed_to or "", limit=100):
        target_id = session.scalar(select(Organization.id).where(
            Organization.slug == addressed_to))
        if target_id is None:
            raise FieldErrors({"addressed_to": f"no organization is called "
                                               f"{addressed_to[:64]!r}."})
    now = now or utcnow()
    request = DataRequest(
        title=text_field("title", title, limit=MAX_TITLE, required=True),
        description=text_field("description", description, limit=MAX_DESCRIPTION,
                               required=True),
        organization=text_field("organization", organization, limit=200),
        requester_id=user.id, addressed_to_id=target_id,
        status=DataRequestStatus.RECEIVED.value, answer="", legal_ground="",
        extension_reason="", created_at=now, due_at=now + timedelta(days=due_days),
        support_count=0,
    )
    session.add(request)
    session.flush()
    return request


def get_data_request(session: Session, request_id: int) -> DataRequest:
    request = session.get(DataRequest, request_id)
    if request is None:
        raise NotFound(f"No data request {request_id}; GET /api/v1/data-requests lists them.")
    return request


def list_data_requests(
    session: Session, *, status: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[DataRequest], int]:
    """One page of requests, most supported first, and how many there are in all."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    query = select(DataRequest)
    if status:
        if status not in {s.value for s in DataRequestStatus}:
            raise FieldErrors({"status": f"{status[:20]!r} is not a status; choose "
                                         f"{', '.join(DataRequestStatus)}."})
        query = query.where(DataRequest.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DataRequest.support_count.desc(), DataRequest.created_at.desc(),
                       DataRequest.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def has_supported(session: Session, request: DataRequest, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return session.scalar(select(DataRequestSupport.id).where(
        DataRequestSupport.request_id == request.id,
        DataRequestSupport.user_id == user_id)) is not None


def _add_to_count(session: Session, request: DataRequest, delta: int) -> None:
    # One UPDATE … + delta: two members supporting at once never lose a vote.
    session.execute(update(DataRequest).where(DataRequest.id == request.id)
                    .values(support_count=DataRequest.support_count + delta))
    session.refresh(request, ["support_count"])


def support_data_request(session: Session, request: DataRequest, actor: Actor) -> DataRequest:
    """Add the actor's "me too"; supporting twice changes nothing."""
    user = actor.require_user()
    if request.requester_id == user.id:
        raise Conflict("This is your own request; it counts you already.")
    if not policy.is_open_request(request):
        raise Conflict(f"Data request {request.id} is {request.status}; it takes no more "
                       "support.")
    if has_supported(session, request, user.id):
        return request
    session.add(DataRequestSupport(request_id=request.id, user_id=user.id, created_at=utcnow()))
    flush_unique(session, "You support this request already.")
    _add_to_count(session, request, 1)
    return request


def withdraw_support(session: Session, request: DataRequest, actor: Actor) -> DataRequest:
    user = actor.require_user()
    removed = session.execute(delete(DataRequestSupport).where(
        DataRequestSupport.request_id == request.id, DataRequestSupport.user_id == user.id))
    if getattr(removed, "rowcount", 0):
        _add_to_count(session, request, -1)
    return request


def _require_answerer(actor: Actor, request: DataRequest) -> None:
    if not policy.can_answer_data_request(actor, request):
        raise Forbidden("Only the curators, and the hosts of the organization a request is "
                        "addressed to, answer data requests.")


def answer_data_request(
    session: Session, request: DataRequest, actor: Actor, *, status: str, answer: str,
    legal_ground: str = "", now: datetime | None = None,
) -> DataRequest:
    """Move a request to ``under_review``, ``accepted`` or ``rejected`` with an answer; a
    rejection names its legal ground. Fulfilment goes through ``fulfil_data_request``."""
    user = actor.require_user()
    _require_answerer(actor, request)
    try:
        new = DataRequestStatus(status)
    except ValueError:
        raise FieldErrors({"status": "choose under_review, accepted or rejected."}) from None
    if new == DataRequestStatus.FULFILLED:
        raise FieldErrors({"status": "a request is fulfilled by linking a dataset: POST "
                                     f"/api/v1/data-requests/{request.id}/fulfil."})
    text = text_field("answer", answer, limit=MAX_ANSWER, required=True)
    ground = text_field("legal_ground", legal_ground, limit=300,
                        required=new == DataRequestStatus.REJECTED)
    lock_for_change(session, request, "status")
    check_transition(DATA_REQUEST_TRANSITIONS, DataRequestStatus(request.status), new,
                     f"Data request {request.id}")
    request.status, request.answer, request.legal_ground = new.value, text, ground
    request.answered_by_id, request.answered_at = user.id, now or utcnow()
    session.flush()
    return request


def extend_data_request(
    session: Session, request: DataRequest, actor: Actor, *, reason: str, days: int,
    now: datetime | None = None,
) -> DataRequest:
    """Push the due date back by ``days``, once, saying why."""
    _require_answerer(actor, request)
    lock_for_change(session, request, "status", "extended_at", "due_at")
    if not policy.is_open_request(request):
        raise Conflict(f"Data request {request.id} is {request.status}; it has no due date "
                       "left to extend.")
    if request.extended_at is not None:
        raise Conflict(f"Data request {request.id} was extended already, on "
                       f"{request.extended_at:%Y-%m-%d}; only one extension is allowed.")
    request.extension_reason = text_field("reason", reason, limit=500, required=True)
    request.extended_at = now or utcnow()
    request.due_at = request.due_at + timedelta(days=days)
    session.flush()
    return request


def fulfil_data_request(
    session: Session, request: DataRequest, actor: Actor, dataset: Dataset, *,
    version: DatasetVersion | None = None, answer: str = "", now: datetime | None = None,
) -> DataRequest:
    """Answer a request with a published dataset (and optionally one of its published
    versions) that the actor hosts."""
    user = actor.require_user()
    _require_answerer(actor, request)
    if not policy.can_fulfil_with(actor, request, dataset):
        raise Forbidden(f"You may fulfil a request only with a dataset you host; "
                        f"{dataset.slug!r} is not yours.")
    if dataset.published_at is None:
        raise Conflict(f"{dataset.slug!r} has no published version yet; publish one first, "
                       "so that the requester can see it.")
    if version is not None and (version.dataset_id != dataset.id
                                or version.status != VersionStatus.PUBLISHED.value):
        raise Conflict(f"Version {version.label} is not a published version of "
                       f"{dataset.slug!r}.")
    lock_for_change(session, request, "status")
    check_transition(DATA_REQUEST_TRANSITIONS, DataRequestStatus(request.status),
                     DataRequestStatus.FULFILLED, f"Data request {request.id}")
    request.status = DataRequestStatus.FULFILLED.value
    request.fulfilled_dataset_id = dataset.id
    request.fulfilled_version_id = version.id if version is not None else None
    request.answer = text_field("answer", answer, limit=MAX_ANSWER) or (
        f"Fulfilled by the dataset {dataset.slug}.")
    request.answered_by_id, request.answered_at = user.id, now or utcnow()
    session.flush()
    return request
