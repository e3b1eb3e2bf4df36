"""Loading datasets as packages: a page of them in a fixed number of statements, and one
by the id or name a client gives, if the actor may see it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from aihub.accounts.actor import Actor
from aihub.datasets import policy
from aihub.datasets.models import Dataset, DatasetFile, DatasetVersion
from aihub.datasets.services import SLUG
from aihub.datasets.status import VersionStatus
from aihub.interop.ckan.errors import CkanNotFoundError
from aihub.interop.ckan.mapping import package_dict


def latest_published(session: Session, dataset_ids: Sequence[int]) -> dict[int, DatasetVersion]:
    """Each dataset's latest published version (by publication, then id)."""
    rows = session.scalars(
        select(DatasetVersion).where(DatasetVersion.dataset_id.in_(dataset_ids),
                                     DatasetVersion.status == VersionStatus.PUBLISHED.value)
        .order_by(DatasetVersion.published_at, DatasetVersion.id))
    return {row.dataset_id: row for row in rows}  # the last one written wins: the latest


def _files(session: Session, version_ids: Sequence[int]) -> dict[int, list[DatasetFile]]:
    by_version: dict[int, list[DatasetFile]] = defaultdict(list)
    for item in session.scalars(select(DatasetFile).where(
            DatasetFile.version_id.in_(version_ids)).order_by(DatasetFile.path)):
        by_version[item.version_id].append(item)
    return by_version


def _with_relations(statement: Select[Dataset]) -> Select[Dataset]:
    return statement.options(joinedload(Dataset.organization), selectinload(Dataset.tags))


def packages(session: Session, base: str, dataset_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The packages of ``dataset_ids``, in that order, in four statements."""
    if not dataset_ids:
        return []
    found = {d.id: d for d in session.scalars(
        _with_relations(select(Dataset).where(Dataset.id.in_(dataset_ids)))).unique()}
    latest = latest_published(session, list(found))
    files = _files(session, [v.id for v in latest.values()])
    out = []
    for dataset_id in dataset_ids:
        dataset = found.get(dataset_id)
        if dataset is not None:
            version = latest.get(dataset_id)
            out.append(package_dict(base, dataset, version,
                                    files.get(version.id, []) if version else []))
    return out


def package(session: Session, base: str, dataset: Dataset) -> dict[str, Any]:
    return packages(session, base, [dataset.id])[0]


def visible_dataset(session: Session, actor: Actor, id_or_name: str) -> Dataset:
    """The dataset named (its slug is also its id), or Not Found, also when the actor may
    not see it: a dataset being prepared does not reveal that it exists."""
    name = id_or_name.strip()
    dataset = None
    if SLUG.match(name):  # never a malformed name (or a NUL) sent to the database
        dataset = session.scalar(_with_relations(select(Dataset).where(Dataset.slug == name)))
    if dataset is None or not policy.can_view(actor, dataset):
        raise CkanNotFoundError(f"no dataset has the id or name {name[:100]!r}; package_list "
                           "lists them.")
    return dataset


def listed(actor: Actor, include_private: bool) -> ColumnElement[bool]:
    """Which datasets a list shows: published ones; with ``include_private`` (CKAN's
    parameter), also the unpublished ones the actor hosts."""
    published: ColumnElement[bool] = Dataset.published_at.is_not(None)
    if not include_private or actor.user is None:
        return published
    if actor.is_curator:
        return Dataset.id.is_not(None)
    return or_(published, Dataset.organization_id.in_(actor.org_ids))


def names(session: Session, actor: Actor, *, include_private: bool, limit: int | None,
          offset: int) -> list[str]:
    statement = select(Dataset.slug).where(listed(actor, include_private)) \
        .order_by(Dataset.slug).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_by_organization(session: Session, actor: Actor, org_ids: Sequence[int]
                          ) -> dict[int, int]:
    """How many datasets of each organization the actor's lists show (published ones)."""
    rows = session.execute(
        select(Dataset.organization_id, func.count()).where(
            Dataset.organization_id.in_(org_ids), listed(actor, include_private=False))
        .group_by(Dataset.organization_id))
    return {org_id: count for org_id, count in rows}  # noqa: C416 - rows, not pairs, to mypy
