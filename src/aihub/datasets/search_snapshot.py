"""The search index's compact rows held in memory as arrays, for visibility, filters,
facets and order.

Counting facets in SQL read every hit's row and its tags on each query: 30 to 70 ms for
the whole catalog of 10,000 datasets on the 2-core machine, most of a search's budget.
Here a facet is one ``numpy.bincount`` over the hits. A process keeps one snapshot per
database and loads it again when the state token (``search_index.SearchState``) it was
loaded with is no longer the database's: every change to the index changes the token in
the same transaction, so a snapshot in use is never older than what the caller can read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization
from aihub.datasets.search_index import DatasetSearch, SearchState

Mask = NDArray[np.bool_]
Rows = NDArray[np.intp]
_KEPT = 8  # databases per process whose snapshots stay cached (tests open many)


@dataclass(frozen=True)
class Codes:
    """A field with one value per dataset, as integer codes into its sorted values."""

    values: list[str]
    index: dict[str, int]
    codes: NDArray[np.int32]

    @classmethod
    def of(cls, items: list[str]) -> Codes:
        values = sorted(set(items))
        index = {value: code for code, value in enumerate(values)}
        return cls(values, index, np.array([index[item] for item in items], dtype=np.int32))


@dataclass(frozen=True)
class Pairs:
    """A field with any number of values per dataset (tags, formats): one pair of row and
    value code per value."""

    values: list[str]
    index: dict[str, int]
    rows: Rows
    codes: NDArray[np.int32]

    @classmethod
    def of(cls, per_row: list[list[str]]) -> Pairs:
        values = sorted({item for items in per_row for item in items})
        index = {value: code for code, value in enumerate(values)}
        rows = [row for row, items in enumerate(per_row) for _ in items]
        codes = [index[item] for items in per_row for item in items]
        return cls(values, index, np.array(rows, dtype=np.intp),
                   np.array(codes, dtype=np.int32))


@dataclass(frozen=True)
class Joined:
    """One text per dataset, and all of them joined with newlines: a term is looked for in
    the texts of a few hits one by one, in those of many hits with one scan in C."""

    texts: list[str]
    text: str
    starts: NDArray[np.int64]

    @classmethod
    def of(cls, texts: list[str]) -> Joined:
        lengths = np.array([len(text) + 1 for text in texts], dtype=np.int64)
        starts = (np.cumsum(lengths) - lengths).astype(np.int64)
        return cls(texts, "\n".join(texts), starts)

    def holds(self, needle: str, among: Rows) -> Mask:
        """Whether the text of each row of ``among`` holds ``needle``."""
        if len(among) < 1_000:
            return np.array([needle in self.texts[row] for row in among.tolist()],
                            dtype=np.bool_)
        # Splitting at the needle finds every place it occurs (str.split runs in C; each
        # match of re.finditer is a Python object): piece i ends where match i starts.
        pieces = self.text.split(needle)
        lengths = np.fromiter(map(len, pieces[:-1]), dtype=np.int64, count=len(pieces) - 1)
        positions = np.cumsum(lengths + len(needle)) - len(needle)
        rows = np.searchsorted(self.starts, positions, side="right") - 1
        return np.isin(among, rows)


@dataclass(frozen=True)
class Snapshot:
    token: str | None
    ids: NDArray[np.int64]  # dataset ids, ascending: row i is dataset ids[i]
    organization_ids: NDArray[np.int64]
    published: Mask
    updated: NDArray[np.int64]  # microseconds since the epoch
    by_modified: Rows  # rows, newest change first (ties: newest id)
    by_title: Rows  # rows by folded Korean title, then id
    fields: dict[str, Codes]  # organization, licence, tier, name
    pairs: dict[str, Pairs]  # tag, format
    titles: Joined  # search_text.searchable forms, to rank title hits first
    tag_texts: Joined

    @property
    def size(self) -> int:
        return len(self.ids)

    def visible(self, actor: Actor) -> Mask:
        """Datasets whose metadata ``actor`` may read (``policy.can_view``): published
        ones, and those of the actor's organizations; curators see all."""
        if actor.is_curator:
            return np.ones(self.size, dtype=np.bool_)
        mine = np.isin(self.organization_ids, np.array(sorted(actor.org_ids), dtype=np.int64))
        return self.published | mine

    def having(self, name: str, values: tuple[str, ...]) -> Mask:
        """Datasets whose field ``name`` holds any of ``values``."""
        if name in self.fields:
            codes = self.fields[name]
            wanted = [codes.index[v] for v in values if v in codes.index]
            return np.isin(codes.codes, np.array(wanted, dtype=np.int32))
        pairs = self.pairs[name]
        wanted = [pairs.index[v] for v in values if v in pairs.index]
        mask = np.zeros(self.size, dtype=np.bool_)
        mask[pairs.rows[np.isin(pairs.codes, np.array(wanted, dtype=np.int32))]] = True
        return mask

    def rows_of(self, dataset_ids: NDArray[np.int64]) -> Mask:
        mask = np.zeros(self.size, dtype=np.bool_)
        rows = np.searchsorted(self.ids, dataset_ids)
        inside = rows < self.size
        rows, dataset_ids = rows[inside], dataset_ids[inside]
        mask[rows[self.ids[rows] == dataset_ids]] = True  # ids indexed after the snapshot
        return mask

    def counts(self, name: str, mask: Mask, limit: int) -> list[tuple[str, int]]:
        """The ``limit`` most frequent values of a field among ``mask``, most first
        (ties by value), without values that no hit holds."""
        if name in self.fields:
            codes = self.fields[name]
            values, tally = codes.values, np.bincount(codes.codes[mask],
                                                      minlength=len(codes.values))
        else:
            pairs = self.pairs[name]
            values, tally = pairs.values, np.bincount(pairs.codes[mask[pairs.rows]],
                                                      minlength=len(pairs.values))
        present = np.flatnonzero(tally)  # codes ascending: values are sorted, so by value
        order = present[np.lexsort((present, -tally[present]))][:max(limit, 0)]
        return [(values[code], int(tally[code])) for code in order.tolist()]


def _micros(row: Any) -> int:
    return round(float(row.updated_at.timestamp()) * 1_000_000)


def load(connection: Connection, token: str | None) -> Snapshot:
    rows = connection.execute(select(
        DatasetSearch.dataset_id, DatasetSearch.slug, DatasetSearch.organization_id,
        DatasetSearch.licence_id, DatasetSearch.access_tier, DatasetSearch.published,
        DatasetSearch.updated_at, DatasetSearch.sort_title, DatasetSearch.title,
        DatasetSearch.tag_text, DatasetSearch.tags, DatasetSearch.formats,
    ).order_by(DatasetSearch.dataset_id)).all()
    organizations = dict(connection.execute(select(Organization.id, Organization.slug)).all())
    ids = np.array([row.dataset_id for row in rows], dtype=np.int64)
    updated = np.array([_micros(row) for row in rows], dtype=np.int64)
    # Rows are in id order, so a stable sort by title leaves ties by id.
    titles = np.array([row.sort_title for row in rows], dtype=np.str_)
    by_title = np.argsort(titles, kind="stable") if len(rows) else np.empty(0, dtype=np.intp)
    return Snapshot(
        token=token, ids=ids,
        organization_ids=np.array([row.organization_id for row in rows], dtype=np.int64),
        published=np.array([row.published for row in rows], dtype=np.bool_),
        updated=updated, by_modified=np.lexsort((-ids, -updated)).astype(np.intp),
        by_title=by_title.astype(np.intp),
        fields={
            "organization": Codes.of([organizations.get(row.organization_id, "")
                                      for row in rows]),
            "licence": Codes.of([row.licence_id for row in rows]),
            "tier": Codes.of([row.access_tier for row in rows]),
            "name": Codes.of([row.slug for row in rows]),
        },
        pairs={"tag": Pairs.of([row.tags.split("\n") if row.tags else [] for row in rows]),
               "format": Pairs.of([row.formats.split() for row in rows])},
        titles=Joined.of([row.title for row in rows]),
        tag_texts=Joined.of([row.tag_text for row in rows]),
    )


EMPTY = Snapshot(token=None, ids=np.empty(0, dtype=np.int64),
                 organization_ids=np.empty(0, dtype=np.int64),
                 published=np.empty(0, dtype=np.bool_), updated=np.empty(0, dtype=np.int64),
                 by_modified=np.empty(0, dtype=np.intp), by_title=np.empty(0, dtype=np.intp),
                 fields={name: Codes.of([]) for name in ("organization", "licence", "tier",
                                                         "name")},
                 pairs={name: Pairs.of([]) for name in ("tag", "format")},
                 titles=Joined.of([]), tag_texts=Joined.of([]))
_cache: dict[str, Snapshot] = {}
_TOKEN = select(SearchState.token).where(SearchState.id == 1)
_loading = threading.Lock()


def current(session: Session) -> Snapshot:
    """The snapshot of the index as ``session`` sees it, loaded again only when the
    database's state token changed since it was last loaded."""
    connection = session.connection()
    token = connection.scalar(_TOKEN)
    if token is None:  # nothing indexed yet
        return EMPTY
    key = str(connection.engine.url)
    cached = _cache.get(key)
    if cached is not None and cached.token == token:
        return cached
    with _loading:  # one thread loads; the others then find it
        cached = _cache.get(key)
        if cached is not None and cached.token == token:
            return cached
        snapshot = load(connection, token)
        if key not in _cache and len(_cache) >= _KEPT:
            _cache.pop(next(iter(_cache)))
        _cache[key] = snapshot
        return snapshot
