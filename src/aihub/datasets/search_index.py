"""The catalog's search index: per dataset, one compact row (what filters, facets and
sorting read) and one text row (what search terms match), rebuilt from the catalog's own
tables whenever a dataset's indexed metadata changes or a version is published or
withdrawn.

Kept current by a flush hook (``_reindex_touched``) rather than by calls in each service:
the index is derived data, like a database index, and a hook sees every path that changes
a dataset (the services, the CKAN API, seeding, future admin tools) in the same
transaction, so the index never lags and never needs a lock of its own.

Matching is engine-specific. SQLite: an FTS5 table with the ``trigram`` tokenizer over the
text rows (external content), created with its triggers on first use by ``ensure_fts``,
not by the migration, because Alembic cannot model a virtual table and its shadow tables
(the migration drift test would see them as strays). PostgreSQL: ``pg_trgm`` GIN on the
document and a GIN on the grams array, declared below so the ORM models them.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    event,
    false,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from aihub.accounts.models import Organization
from aihub.datasets.models import Dataset, DatasetFile, DatasetTag, DatasetVersion
from aihub.datasets.search_text import grams, searchable
from aihub.datasets.status import VersionStatus
from aihub.db import Base, UTCDateTime

FTS_TABLE = "dataset_search_fts"
MAX_COLUMN_NAMES = 2_000  # per dataset: a version may hold thousands of wide tables
_CHUNK = 500  # datasets per statement when many are indexed at once
PUBLISHED = VersionStatus.PUBLISHED.value
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DatasetSearch(Base):
    """What the search reads for every dataset at once (``search_snapshot``): small."""

    __tablename__ = "dataset_search"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[int] = mapped_column(Integer)
    licence_id: Mapped[str] = mapped_column(String(32))
    access_tier: Mapped[str] = mapped_column(String(16))
    published: Mapped[bool] = mapped_column(Boolean)  # metadata visible to everyone
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sort_title: Mapped[str] = mapped_column(String(300))  # the Korean title, folded
    title: Mapped[str] = mapped_column(Text)  # searchable form: ranks title hits first
    tag_text: Mapped[str] = mapped_column(Text)  # searchable form: ranks tag hits next
    tags: Mapped[str] = mapped_column(Text)  # the names as stored, one per line
    formats: Mapped[str] = mapped_column(String(500))  # short names, space-separated


# The grams: a text " a ab b " on SQLite (matched by the trigram FTS5 table), an array on
# PostgreSQL (matched by @> with a GIN index: exact, and estimated well by the planner,
# where LIKE on a trigram index made it choose a sequential scan for common grams).
GramsType = Text().with_variant(postgresql.ARRAY(Text()), "postgresql")


class DatasetSearchText(Base):
    """What search terms match. The GIN indexes exist on PostgreSQL only; on SQLite the
    same declaration makes an empty partial index (``WHERE 0``), so one model fits both."""

    __tablename__ = "dataset_search_text"
    __table_args__ = (
        Index("ix_dataset_search_text_doc", "doc", postgresql_using="gin",
              postgresql_ops={"doc": "gin_trgm_ops"}, sqlite_where=false()),
        Index("ix_dataset_search_text_grams", "grams", postgresql_using="gin",
              sqlite_where=false()),
    )

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    doc: Mapped[str] = mapped_column(Text)  # every searchable field (search_text.searchable)
    grams: Mapped[Any] = mapped_column(GramsType)


class SearchState(Base):
    """One row whose token changes with every change to the index, in the same
    transaction: a process knows its in-memory snapshot is current when tokens agree."""

    __tablename__ = "dataset_search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


FORMAT_NAMES = {
    "text/csv": "csv", "text/tab-separated-values": "tsv", "application/x-parquet": "parquet",
    "application/vnd.apache.parquet": "parquet", "application/parquet": "parquet",
    "application/json": "json", "application/jsonlines": "jsonl", "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl", "application/zip": "zip", "application/gzip": "gzip",
    "application/x-tar": "tar", "application/pdf": "pdf", "application/vnd.ms-excel": "excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "excel",
    "text/plain": "text", "text/markdown": "markdown", "application/geo+json": "geojson",
    "application/octet-stream": "binary",
}


def format_name(media_type: str) -> str:
    """A file's format as the facet names it: csv, parquet, json, jsonl, zip, image…"""
    base = media_type.split(";", maxsplit=1)[0].strip().lower()
    if base in FORMAT_NAMES:
        return FORMAT_NAMES[base]
    major, _, minor = base.partition("/")
    if major in ("image", "audio", "video"):
        return major
    return minor.removeprefix("x-").removeprefix("vnd.")[:32] or "binary"


@dataclass
class _Source:
    """What one dataset contributes to the index, gathered from the catalog's tables."""

    row: Any  # datasets joined with organizations
    tags: list[str]
    columns: list[str]
    formats: set[str]


def _sources(connection: Connection, ids: Sequence[int]) -> list[_Source]:
    rows = connection.execute(
        select(Dataset.id, Dataset.slug, Dataset.organization_id, Dataset.title_ko,
               Dataset.title_en, Dataset.description_ko, Dataset.description_en,
               Dataset.licence_id, Dataset.access_tier, Dataset.published_at,
               Dataset.updated_at, Organization.slug.label("org_slug"),
               Organization.name_ko.label("org_ko"), Organization.name_en.label("org_en"))
        .join(Organization, Organization.id == Dataset.organization_id)
        .where(Dataset.id.in_(ids))).all()
    sources = {row.id: _Source(row, [], [], set()) for row in rows}
    for dataset_id, name in connection.execute(
            select(DatasetTag.dataset_id, DatasetTag.name)
            .where(DatasetTag.dataset_id.in_(ids)).order_by(DatasetTag.name)):
        sources[dataset_id].tags.append(name)
    _add_files(connection, sources)
    return list(sources.values())


def _latest_published(connection: Connection, ids: Iterable[int]) -> dict[int, int]:
    """dataset id -> the id of its latest published version (withdrawn ones are gone)."""
    latest: dict[int, tuple[datetime, int]] = {}
    for dataset_id, version_id, published_at in connection.execute(
            select(DatasetVersion.dataset_id, DatasetVersion.id, DatasetVersion.published_at)
            .where(DatasetVersion.dataset_id.in_(list(ids)),
                   DatasetVersion.status == PUBLISHED)):
        key = (published_at or _EPOCH, version_id)  # set with the status: never None
        if dataset_id not in latest or key > latest[dataset_id]:
            latest[dataset_id] = key
    return {dataset_id: key[1] for dataset_id, key in latest.items()}


def _add_files(connection: Connection, sources: dict[int, _Source]) -> None:
    """Formats and column names of each dataset's latest published version."""
    by_version = {version: dataset
                  for dataset, version in _latest_published(connection, sources).items()}
    if not by_version:
        return
    seen: dict[int, set[str]] = {dataset: set() for dataset in by_version.values()}
    for version_id, media_type, profile in connection.execute(
            select(DatasetFile.version_id, DatasetFile.media_type, DatasetFile.profile)
            .where(DatasetFile.version_id.in_(list(by_version)))
            .order_by(DatasetFile.version_id, DatasetFile.path)):
        source = sources[by_version[version_id]]
        source.formats.add(format_name(media_type))
        names = seen[by_version[version_id]]
        for name in _column_names(profile):
            if len(names) >= MAX_COLUMN_NAMES:
                break
            if name not in names:
                names.add(name)
                source.columns.append(name)


def _column_names(profile: Any) -> Iterator[str]:
    if not isinstance(profile, dict) or not isinstance(profile.get("columns"), list):
        return
    for column in profile["columns"]:
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            yield column["name"]


def _rows(source: _Source, postgres: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compact row and the text row of one dataset."""
    row = source.row
    doc = searchable([row.title_ko, row.title_en, *source.tags, row.description_ko,
                      row.description_en, row.org_ko, row.org_en, row.org_slug, row.slug,
                      *source.columns])
    found = grams(doc.split())
    compact = {
        "dataset_id": row.id, "slug": row.slug, "organization_id": row.organization_id,
        "licence_id": row.licence_id, "access_tier": row.access_tier,
        "published": row.published_at is not None, "updated_at": row.updated_at,
        "sort_title": unicodedata.normalize("NFC", row.title_ko).casefold()[:300],
        "title": searchable([row.title_ko, row.title_en]),
        "tag_text": searchable(source.tags), "tags": "\n".join(source.tags),
        "formats": " ".join(sorted(source.formats))[:500],
    }
    text = {"dataset_id": row.id, "doc": doc,
            "grams": found if postgres else f" {' '.join(found)} "}
    return compact, text


def reindex_dataset(session: Session, dataset_id: int) -> None:
    """Index one dataset again from the catalog's tables (the flush hook does it already
    for changes made through the ORM; this is for bulk inserts and repairs)."""
    reindex_connection(session.connection(), [dataset_id])


def reindex_datasets(session: Session, dataset_ids: Iterable[int]) -> None:
    reindex_connection(session.connection(), dataset_ids)


def reindex_connection(connection: Connection, dataset_ids: Iterable[int]) -> None:
    """Replace the index rows of ``dataset_ids`` (rows of datasets that no longer exist
    are removed) and change the state token, in the caller's transaction."""
    ids = sorted(set(dataset_ids))
    if not ids:
        return
    postgres = connection.dialect.name == "postgresql"
    if connection.dialect.name == "sqlite":
        ensure_fts(connection)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        pairs = [_rows(source, postgres) for source in _sources(connection, chunk)]
        connection.execute(delete(DatasetSearchText).where(
            DatasetSearchText.dataset_id.in_(chunk)))
        connection.execute(delete(DatasetSearch).where(DatasetSearch.dataset_id.in_(chunk)))
        if pairs:
            connection.execute(insert(DatasetSearch), [compact for compact, _ in pairs])
            connection.execute(insert(DatasetSearchText), [text for _, text in pairs])
    _change_token(connection)


def rebuild_index(connection: Connection) -> int:
    """Index every dataset (after a migration, or to repair); returns how many."""
    ids = list(connection.scalars(select(Dataset.id)))
    connection.execute(delete(DatasetSearchText))
    connection.execute(delete(DatasetSearch))
    reindex_connection(connection, ids)
    return len(ids)


def _change_token(connection: Connection) -> None:
    token = uuid.uuid4().hex
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" \
        else sqlite.insert
    statement = dialect_insert(SearchState).values(id=1, token=token)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[SearchState.id], set_={"token": token}))


# The FTS5 table over dataset_search_text (external content) and the triggers that keep
# it in step; plain strings, as the names are fixed.
_FTS_CREATE = (
    "CREATE VIRTUAL TABLE dataset_search_fts USING fts5(doc, grams, tokenize='trigram', "
    "content='dataset_search_text', content_rowid='dataset_id')"
)
_FTS_ADD = ("INSERT INTO dataset_search_fts(rowid, doc, grams) "
            "VALUES (new.dataset_id, new.doc, new.grams);")
_FTS_REMOVE = ("INSERT INTO dataset_search_fts(dataset_search_fts, rowid, doc, grams) "
               "VALUES ('delete', old.dataset_id, old.doc, old.grams);")
_FTS_TRIGGERS = {
    "dataset_search_fts_ai": f"AFTER INSERT ON dataset_search_text BEGIN {_FTS_ADD} END",
    "dataset_search_fts_ad": f"AFTER DELETE ON dataset_search_text BEGIN {_FTS_REMOVE} END",
    "dataset_search_fts_au": ("AFTER UPDATE ON dataset_search_text BEGIN "
                              f"{_FTS_REMOVE} {_FTS_ADD} END"),
}
_FTS_REBUILD = "INSERT INTO dataset_search_fts(dataset_search_fts) VALUES ('rebuild')"


def ensure_fts(connection: Connection) -> None:
    """Create the SQLite FTS5 table and the triggers that keep it in step with
    ``dataset_search_text``, then fill it, unless all of them exist already."""
    present = set(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE name LIKE 'dataset_search_fts%'").scalars())
    if present >= {FTS_TABLE, *_FTS_TRIGGERS}:
        return
    drop_fts(connection)  # a table rebuilt by a batch migration loses its triggers
    connection.exec_driver_sql(_FTS_CREATE)
    for name, body in _FTS_TRIGGERS.items():
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {body}")
    connection.exec_driver_sql(_FTS_REBUILD)


def drop_fts(connection: Connection) -> None:
    """Remove the SQLite FTS5 table and its triggers (the migration's downgrade)."""
    for name in _FTS_TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    connection.exec_driver_sql("DROP TABLE IF EXISTS dataset_search_fts")


_DATASET_FIELDS = ("slug", "organization_id", "title_ko", "title_en", "description_ko",
                   "description_en", "licence_id", "access_tier", "published_at",
                   "updated_at", "tags")
_ORGANIZATION_FIELDS = ("slug", "name_ko", "name_en")


def _changed(target: object, names: tuple[str, ...]) -> bool:
    state = inspect(target)
    return any(state.attrs[name].history.has_changes() for name in names)


def _touches_publication(session: Session, version: DatasetVersion) -> bool:
    if version in session.new:
        return version.status == PUBLISHED
    history = inspect(version).attrs["status"].history
    return PUBLISHED in (*history.added, *history.deleted)


def touched_datasets(session: Session) -> set[int]:
    """Datasets whose index rows the pending flush makes stale. In ``after_flush`` the
    session still lists what was new, changed or deleted, and new rows have their ids."""
    ids: set[int] = set()
    organizations: set[int] = set()
    for item in (*session.new, *session.dirty, *session.deleted):
        if isinstance(item, Dataset):
            if item in session.new or item in session.deleted or _changed(item,
                                                                          _DATASET_FIELDS):
                ids.add(item.id)
        elif isinstance(item, DatasetTag | DatasetVersion):
            if item.dataset_id is not None and (
                    isinstance(item, DatasetTag) or _touches_publication(session, item)):
                ids.add(item.dataset_id)
        elif isinstance(item, Organization) and item in session.dirty and _changed(
                item, _ORGANIZATION_FIELDS):
            organizations.add(item.id)
    if organizations:
        ids.update(session.connection().scalars(
            select(Dataset.id).where(Dataset.organization_id.in_(organizations))))
    return ids


@event.listens_for(Session, "after_flush")
def _reindex_touched(session: Session, _context: UOWTransaction) -> None:
    ids = touched_datasets(session)
    if ids:
        reindex_connection(session.connection(), ids)
