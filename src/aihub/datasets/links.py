"""Challenges and the dataset versions they use: a challenge page lists them, a dataset
page lists the challenges built on it. Only published versions may be linked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges import policy as challenge_policy
from aihub.challenges.models import Challenge, Visibility
from aihub.datasets.models import ChallengeDataset, Dataset, DatasetVersion
from aihub.datasets.services import text_field
from aihub.datasets.status import VersionStatus
from aihub.db import utcnow
from aihub.errors import Conflict, Forbidden, NotFound


def link_challenge_dataset(
    session: Session, challenge: Challenge, version: DatasetVersion, actor: Actor, *,
    role: str = "training data",
) -> ChallengeDataset:
    """Record that ``challenge`` uses ``version`` (its hosts decide; curators too)."""
    if not challenge_policy.can_manage(actor, challenge):
        raise Forbidden(f"Only the hosts of {challenge.slug!r} can link datasets to it.")
    if version.status != VersionStatus.PUBLISHED.value:
        raise Conflict(f"Version {version.label} is {version.status}; only published "
                       "versions can be linked to a challenge.")
    existing = session.scalar(select(ChallengeDataset.id).where(
        ChallengeDataset.challenge_id == challenge.id,
        ChallengeDataset.version_id == version.id))
    if existing is not None:
        raise Conflict(f"{challenge.slug!r} is linked to version {version.label} already.")
    link = ChallengeDataset(challenge_id=challenge.id, version_id=version.id,
                            role=text_field("role", role, limit=64, required=True),
                            created_at=utcnow())
    session.add(link)
    session.flush()
    return link


def unlink_challenge_dataset(
    session: Session, challenge: Challenge, version: DatasetVersion, actor: Actor
) -> None:
    if not challenge_policy.can_manage(actor, challenge):
        raise Forbidden(f"Only the hosts of {challenge.slug!r} can unlink its datasets.")
    link = session.scalar(select(ChallengeDataset).where(
        ChallengeDataset.challenge_id == challenge.id,
        ChallengeDataset.version_id == version.id))
    if link is None:
        raise NotFound(f"{challenge.slug!r} is not linked to version {version.label}.")
    session.delete(link)
    session.flush()


@dataclass(frozen=True)
class LinkedVersion:
    dataset: Dataset
    version: DatasetVersion
    role: str


def challenge_datasets(session: Session, challenge: Challenge) -> list[LinkedVersion]:
    """The versions a challenge uses, in the order they were linked. Linked versions
    were published, so their metadata is public (a later withdrawal shows as such)."""
    rows = session.execute(
        select(Dataset, DatasetVersion, ChallengeDataset.role)
        .join(DatasetVersion, DatasetVersion.dataset_id == Dataset.id)
        .join(ChallengeDataset, ChallengeDataset.version_id == DatasetVersion.id)
        .where(ChallengeDataset.challenge_id == challenge.id)
        .order_by(ChallengeDataset.id))
    return [LinkedVersion(dataset, version, role) for dataset, version, role in rows]


def dataset_challenges(session: Session, dataset: Dataset) -> list[tuple[str, str, str]]:
    """(challenge slug, version label, role) of every public, approved challenge using the
    dataset: a page must not reveal challenges that are being prepared or invite-only."""
    rows = session.execute(
        select(Challenge.slug, DatasetVersion.label, ChallengeDataset.role)
        .join(ChallengeDataset, ChallengeDataset.challenge_id == Challenge.id)
        .join(DatasetVersion, DatasetVersion.id == ChallengeDataset.version_id)
        .where(DatasetVersion.dataset_id == dataset.id, Challenge.approved_at.is_not(None),
               Challenge.visibility == Visibility.PUBLIC.value)
        .order_by(ChallengeDataset.id))
    return [(slug, label, role) for slug, label, role in rows]
