"""Named verbs for datasets themselves: create, update metadata, find, list.

Versions live in ``versions``, access in ``access``, data requests in ``requests``. Each
verb takes the session and checks its rule; the caller owns the transaction
(``Database.transaction``); nothing here commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization, User
from aihub.datasets import policy
from aihub.datasets.licences import check_licence
from aihub.datasets.models import AccessTier, Dataset, DatasetTag

# Imported for its flush hook: whatever changes a dataset through the ORM also brings its
# search index rows up to date in the same transaction (search_index says why).
from aihub.datasets.search_index import DatasetSearch  # noqa: F401
from aihub.db import utcnow
from aihub.errors import Conflict, FieldErrors, Forbidden, NotFound

# CKAN's package name rule; a few names are kept for pages (/datasets/new …).
SLUG = re.compile(r"^[a-z0-9_-]{2,100}$")
RESERVED_SLUGS = frozenset({"new", "edit", "search", "mine", "requests"})
TAG = re.compile(r"^[\w .-]{1,50}$")
MAX_TAGS = 20
MAX_TITLE = 300
MAX_DESCRIPTION = 50_000
MAX_SOURCE = 5_000
MAX_PER_PAGE = 100


def text_field(name: str, value: str, *, limit: int, required: bool = False) -> str:
    """A text as stored (stripped, NFC); ``FieldErrors`` naming ``name`` when it is
    missing, too long or holds a NUL (which PostgreSQL cannot store)."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise FieldErrors({name: "is required."})
    if len(cleaned) > limit:
        raise FieldErrors({name: f"is {len(cleaned)} characters long; the limit is {limit}."})
    if "\x00" in cleaned:
        raise FieldErrors({name: "holds a NUL character (\\0); remove it."})
    return cleaned


def flush_unique(session: Session, conflict: str) -> None:
    """Flush, answering ``Conflict(conflict)`` when a unique constraint refuses the row: two
    requests racing past the services' own check (PostgreSQL runs them side by side)."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


def lock_for_change(session: Session, row: object, *attributes: str) -> None:
    """Hold ``row`` until the commit and read ``attributes`` (its status) afresh, before a
    verb checks them. PostgreSQL runs two requests side by side: without the lock both
    read the same status (a version still a draft, a request still pending), both pass
    the check, and the last write wins (a file attached after the manifest was fixed, an
    acceptance turned into a refusal). SQLite runs one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(row, attribute_names=list(attributes), with_for_update=True)


def hold_user(session: Session, user_id: int) -> None:
    """Hold a member's row until the commit, so that two of their requests at once (a
    double click) run one after the other: the second then finds what the first made.
    SQLite runs one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id).with_for_update())


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise FieldErrors({"slug": "a dataset's name is 2 to 100 lowercase letters, digits, "
                                   "'-' or '_' (CKAN's rule), e.g. busan-air-quality."})
    if slug in RESERVED_SLUGS:
        raise FieldErrors({"slug": f"{slug!r} is reserved for the hub's pages; choose another."})
    return slug


def check_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: NFC, stripped, each once (ignoring case), at most ``MAX_TAGS``."""
    kept: dict[str, str] = {}
    for raw in tags:
        tag = unicodedata.normalize("NFC", raw).strip()
        if not TAG.match(tag):
            raise FieldErrors({"tags": f"{tag[:60]!r} is not a tag: 1 to 50 letters, digits, "
                                       "spaces, '-', '_' or '.'."})
        kept.setdefault(tag.casefold(), tag)
    if len(kept) > MAX_TAGS:
        raise FieldErrors({"tags": f"{len(kept)} tags given; the limit is {MAX_TAGS}."})
    return sorted(kept.values())


def check_tier(value: str) -> AccessTier:
    try:
        return AccessTier(value)
    except ValueError:
        raise FieldErrors({"access_tier": f"{value[:40]!r} is not a tier; choose open, "
                                          "registered or approval."}) from None


@dataclass(frozen=True)
class DatasetChanges:
    """What ``update_dataset`` changes: each field left None stays as it is. The slug and
    the organization never change (harvesters and links key on the address)."""

    title_ko: str | None = None
    title_en: str | None = None
    description_ko: str | None = None
    description_en: str | None = None
    tags: Sequence[str] | None = None
    licence_id: str | None = None
    licence_text: str | None = None
    access_tier: str | None = None
    source: str | None = None


def create_dataset(
    session: Session, actor: Actor, *, organization: str, slug: str, title_ko: str,
    licence_id: str, access_tier: str, title_en: str = "", description_ko: str = "",
    description_en: str = "", tags: Sequence[str] = (), licence_text: str = "",
    source: str = "", now: datetime | None = None,
) -> Dataset:
    """A new dataset of ``organization`` (a slug), with no version yet: only its hosts
    and the curators see it until a version is published."""
    user = actor.require_user()
    organization = text_field("organization", organization, limit=100, required=True)
    org = session.scalar(select(Organization).where(Organization.slug == organization))
    if org is None:
        raise FieldErrors({"organization": f"no organization is called {organization[:64]!r}."})
    if not policy.can_create_in(actor, org.id):
        raise Forbidden(f"You cannot create datasets for {org.slug!r}: only its members "
                        "and the curators can.")
    check_slug(slug)
    if session.scalar(select(Dataset.id).where(Dataset.slug == slug)) is not None:
        raise Conflict(f"A dataset called {slug!r} exists already; choose another name.")
    check_licence(licence_id, licence_text)
    now = now or utcnow()
    dataset = Dataset(
        slug=slug, organization_id=org.id, created_by_id=user.id,
        title_ko=text_field("title_ko", title_ko, limit=MAX_TITLE, required=True),
        title_en=text_field("title_en", title_en, limit=MAX_TITLE),
        description_ko=text_field("description_ko", description_ko, limit=MAX_DESCRIPTION),
        description_en=text_field("description_en", description_en, limit=MAX_DESCRIPTION),
        licence_id=licence_id,
        licence_text=text_field("licence_text", licence_text, limit=MAX_DESCRIPTION),
        access_tier=check_tier(access_tier).value,
        source=text_field("source", source, limit=MAX_SOURCE),
        created_at=now, updated_at=now,
        tags=[DatasetTag(name=tag) for tag in check_tags(tags)],
    )
    session.add(dataset)
    flush_unique(session, f"A dataset called {slug!r} exists already; choose another name.")
    return dataset


def update_dataset(
    session: Session, dataset: Dataset, actor: Actor, changes: DatasetChanges,
    now: datetime | None = None,
) -> Dataset:
    """Change a dataset's metadata; never a version or its files. A changed licence asks
    registered-tier members to accept it again (acceptances name their licence)."""
    if not policy.can_edit(actor, dataset):
        raise Forbidden(f"Only the hosts of {dataset.slug!r} and the curators can edit it.")
    for name, limit in (("title_ko", MAX_TITLE), ("title_en", MAX_TITLE),
                        ("description_ko", MAX_DESCRIPTION), ("description_en", MAX_DESCRIPTION),
                        ("source", MAX_SOURCE)):
        value = getattr(changes, name)
        if value is not None:
            required = name == "title_ko"
            setattr(dataset, name, text_field(name, value, limit=limit, required=required))
    if changes.licence_id is not None or changes.licence_text is not None:
        licence_id = changes.licence_id if changes.licence_id is not None else dataset.licence_id
        # Moving off "custom" drops its terms unless new ones are given.
        text = changes.licence_text if changes.licence_text is not None else (
            dataset.licence_text if licence_id == dataset.licence_id else "")
        check_licence(licence_id, text)
        dataset.licence_id = licence_id
        dataset.licence_text = text_field("licence_text", text, limit=MAX_DESCRIPTION)
    if changes.access_tier is not None:
        dataset.access_tier = check_tier(changes.access_tier).value
    if changes.tags is not None:
        _replace_tags(dataset, check_tags(changes.tags))
    dataset.updated_at = now or utcnow()
    session.flush()
    return dataset


def _replace_tags(dataset: Dataset, names: list[str]) -> None:
    wanted = set(names)
    for tag in list(dataset.tags):
        if tag.name not in wanted:
            dataset.tags.remove(tag)
    have = {tag.name for tag in dataset.tags}
    dataset.tags.extend(DatasetTag(name=name) for name in names if name not in have)


def _not_found(slug: str) -> NotFound:
    return NotFound(f"No dataset is called {slug[:100]!r}; GET /api/v1/datasets lists them.")


def get_dataset(session: Session, slug: str) -> Dataset:
    if not SLUG.match(slug):  # nothing to look up (and no NUL sent to the database)
        raise _not_found(slug)
    dataset = session.scalar(
        select(Dataset).where(Dataset.slug == slug)
        .options(joinedload(Dataset.organization), selectinload(Dataset.tags))
    )
    if dataset is None:
        raise _not_found(slug)
    return dataset


def get_visible_dataset(session: Session, slug: str, actor: Actor) -> Dataset:
    """The dataset if the actor may see it; otherwise 'not found', so that a dataset
    being prepared does not reveal that it exists."""
    dataset = get_dataset(session, slug)
    if not policy.can_view(actor, dataset):
        raise _not_found(slug)
    return dataset


def get_editable_dataset(session: Session, slug: str, actor: Actor) -> Dataset:
    dataset = get_visible_dataset(session, slug, actor)
    if not policy.can_edit(actor, dataset):
        raise Forbidden(f"Only the hosts of {slug!r} and the curators can change it.")
    return dataset


@dataclass(frozen=True)
class DatasetFilters:
    organization: str | None = None  # an organization's slug
    tier: str | None = None
    licence: str | None = None
    tag: str | None = None


def _visible_to(statement: Select[Dataset], actor: Actor) -> Select[Dataset]:
    if actor.is_curator:
        return statement
    visible: ColumnElement[bool] = Dataset.published_at.is_not(None)
    if actor.org_ids:
        visible = or_(visible, Dataset.organization_id.in_(actor.org_ids))
    return statement.where(visible)


def _filtered(statement: Select[Dataset], filters: DatasetFilters) -> Select[Dataset]:
    if filters.organization:
        statement = statement.join(Organization, Organization.id == Dataset.organization_id) \
            .where(Organization.slug == filters.organization)
    if filters.tier:
        statement = statement.where(Dataset.access_tier == filters.tier)
    if filters.licence:
        statement = statement.where(Dataset.licence_id == filters.licence)
    if filters.tag:
        tagged = select(DatasetTag.dataset_id).where(DatasetTag.name == filters.tag)
        statement = statement.where(Dataset.id.in_(tagged))
    return statement


def list_datasets(
    session: Session, actor: Actor, filters: DatasetFilters, *, page: int = 1,
    per_page: int = 20,
) -> tuple[list[Dataset], int]:
    """One page of the datasets the actor may see (newest change first) and how many
    there are in all."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    base = _filtered(_visible_to(select(Dataset), actor), filters)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.options(joinedload(Dataset.organization), selectinload(Dataset.tags))
        .order_by(Dataset.updated_at.desc(), Dataset.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)
    ).unique().all()
    return list(rows), total
