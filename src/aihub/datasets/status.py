"""The catalog's status enums and the transitions each allows, used by every side.

Services, intake jobs, pages and the CLI all ask here; a transition not listed is refused,
so no side can invent a state the others do not know (as ``evaluation.status`` does for
jobs).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from aihub.errors import Conflict


class VersionStatus(StrEnum):
    """Where a dataset version is between its first file and its publication."""

    DRAFT = "draft"  # files being attached; the only state in which files change
    QUARANTINE = "quarantine"  # submitted: manifest fixed, intake jobs scan and profile it
    REVIEW = "review"  # intake done: findings await a curator
    PUBLISHED = "published"  # downloadable by its access tier; never changes again
    REJECTED = "rejected"  # a curator refused it, with a reason
    BLOCKED = "blocked"  # a resident registration number was found: never published
    WITHDRAWN = "withdrawn"  # taken down after publication; the reason stays (tombstone)


VERSION_TRANSITIONS: dict[VersionStatus, frozenset[VersionStatus]] = {
    VersionStatus.DRAFT: frozenset({VersionStatus.QUARANTINE}),
    # A curator may refuse a version without waiting for its intake to end.
    VersionStatus.QUARANTINE: frozenset(
        {VersionStatus.REVIEW, VersionStatus.BLOCKED, VersionStatus.REJECTED}
    ),
    # Back to quarantine when a curator has the intake run again (a job failed).
    VersionStatus.REVIEW: frozenset(
        {VersionStatus.PUBLISHED, VersionStatus.REJECTED, VersionStatus.QUARANTINE}
    ),
    VersionStatus.PUBLISHED: frozenset({VersionStatus.WITHDRAWN}),
    # Blocked data is replaced by a new version, never by changing this one.
    VersionStatus.BLOCKED: frozenset(),
    VersionStatus.REJECTED: frozenset(),
    VersionStatus.WITHDRAWN: frozenset(),
}

# Versions whose metadata (label, message, manifest) anyone who sees the dataset may read:
# a withdrawn version stays listed as a tombstone with its reason.
PUBLIC_VERSION_STATES = frozenset({VersionStatus.PUBLISHED, VersionStatus.WITHDRAWN})


class AccessStatus(StrEnum):
    """A member's request for an approval-tier dataset."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"


ACCESS_TRANSITIONS: dict[AccessStatus, frozenset[AccessStatus]] = {
    AccessStatus.PENDING: frozenset({AccessStatus.ACCEPTED, AccessStatus.REJECTED}),
    AccessStatus.ACCEPTED: frozenset({AccessStatus.REVOKED}),
    # A refused or revoked member may ask again: a new request, the old one kept.
    AccessStatus.REJECTED: frozenset(),
    AccessStatus.REVOKED: frozenset(),
}


class DataRequestStatus(StrEnum):
    """A request for data the catalog does not hold (data.go.kr's 제공신청)."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"  # the hub or a host will provide it
    FULFILLED = "fulfilled"  # a dataset answers it
    REJECTED = "rejected"  # with a reason and the legal ground


DATA_REQUEST_TRANSITIONS: dict[DataRequestStatus, frozenset[DataRequestStatus]] = {
    # Data that exists already may fulfil a request at once.
    DataRequestStatus.RECEIVED: frozenset({
        DataRequestStatus.UNDER_REVIEW, DataRequestStatus.ACCEPTED,
        DataRequestStatus.REJECTED, DataRequestStatus.FULFILLED,
    }),
    DataRequestStatus.UNDER_REVIEW: frozenset({
        DataRequestStatus.ACCEPTED, DataRequestStatus.REJECTED, DataRequestStatus.FULFILLED,
    }),
    # An accepted request the provider finally cannot meet is refused with its ground.
    DataRequestStatus.ACCEPTED: frozenset(
        {DataRequestStatus.FULFILLED, DataRequestStatus.REJECTED}
    ),
    DataRequestStatus.FULFILLED: frozenset(),
    DataRequestStatus.REJECTED: frozenset(),
}

S = TypeVar("S", VersionStatus, AccessStatus, DataRequestStatus)


def can_transition(table: dict[S, frozenset[S]], old: S, new: S) -> bool:
    return new in table[old]


def check_transition(table: dict[S, frozenset[S]], old: S, new: S, what: str) -> None:
    """Refuse (``Conflict``) a change the table does not allow, saying what may follow."""
    if new in table[old]:
        return
    allowed = ", ".join(sorted(s.value for s in table[old])) or "nothing: it is final"
    raise Conflict(
        f"{what} is {old.value} and cannot become {new.value}; from {old.value} it may "
        f"become {allowed}."
    )
