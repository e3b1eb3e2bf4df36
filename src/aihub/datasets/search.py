"""Catalog search: free text over titles, descriptions, tags, organizations and column
names (Korean partial words, English words in any order), filters, facets and order.

The database finds the datasets whose text holds every term (``search_index`` keeps the
text; ``search_text`` says what a term matches); an in-memory snapshot of the index
(``search_snapshot``) applies visibility and filters, counts facets and orders the hits.
Only datasets the actor may see are ever counted, listed or faceted.

Relevance: each term scores 3 in a title, 2 in a tag, 1 elsewhere; ties go to the newest
change. The API, the catalog page and CKAN's ``package_search`` all call
``search_datasets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Text, bindparam, cast, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, joinedload, selectinload

from aihub.accounts.actor import Actor
from aihub.datasets import search_snapshot
from aihub.datasets.models import Dataset
from aihub.datasets.search_index import DatasetSearchText
from aihub.datasets.search_snapshot import Mask, Rows, Snapshot
from aihub.datasets.search_text import Term, TermKind, parse_terms
from aihub.errors import FieldErrors

FilterField = Literal["organization", "licence", "tier", "format", "tag", "name"]
SortOrder = Literal["relevance", "modified", "title"]
FACETS = ("organization", "licence", "tier", "format", "tag")
MAX_FILTER_VALUES = 100


@dataclass(frozen=True)
class Filter:
    field: FilterField
    values: tuple[str, ...]  # any of them (OR)
    negate: bool = False  # none of them


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""  # free text: Korean partial words, English word starts
    filters: tuple[Filter, ...] = ()  # all of them (AND)
    sort: SortOrder = "relevance"
    offset: int = 0
    limit: int = 20  # callers cap it (the API at 100, CKAN at 1000)
    facet_limit: int = 50


@dataclass(frozen=True)
class FacetCount:
    value: str  # organization slug, licence id, tier, format short name or tag
    count: int


@dataclass(frozen=True)
class SearchResult:
    count: int  # every hit, not only this page
    dataset_ids: list[int]  # this page, in order
    facets: dict[str, list[FacetCount]]  # organization, licence, tier, format, tag


def _check(query: SearchQuery) -> None:
    problems = {}
    if query.sort not in get_args(SortOrder):
        problems["sort"] = f"{query.sort[:40]!r} is not an order; use relevance, modified or title."
    for name, value in (("offset", query.offset), ("limit", query.limit),
                        ("facet_limit", query.facet_limit)):
        if value < 0:
            problems[name] = f"is {value}; it cannot be negative."
    for item in query.filters:
        if item.field not in get_args(FilterField):
            problems[item.field[:40]] = ("is not a filter; filter by organization, licence, "
                                         "tier, format, tag or name.")
        elif len(item.values) > MAX_FILTER_VALUES:
            problems[item.field] = (f"{len(item.values)} values given; the limit is "
                                    f"{MAX_FILTER_VALUES}.")
    if problems:
        raise FieldErrors(problems)


def search_datasets(session: Session, actor: Actor, query: SearchQuery) -> SearchResult:
    """One page of the datasets ``actor`` may see that match ``query``, how many match in
    all, and the facets of all the matches. ``FieldErrors`` for a query it cannot run
    (too long, a negative offset, an unknown filter or order)."""
    terms = parse_terms(query.text)
    _check(query)
    snapshot = search_snapshot.current(session)
    mask = snapshot.visible(actor)
    for item in query.filters:
        found = snapshot.having(item.field, item.values)
        mask &= ~found if item.negate else found
    if terms and mask.any():
        mask &= snapshot.rows_of(_matching_ids(session, terms))
    order = _ordered(snapshot, mask, terms, query.sort)
    page = order[query.offset:query.offset + query.limit]
    return SearchResult(
        count=int(mask.sum()), dataset_ids=snapshot.ids[page].tolist(),
        facets={name: [FacetCount(value, count) for value, count in
                       snapshot.counts(name, mask, query.facet_limit)] for name in FACETS},
    )


def _ordered(snapshot: Snapshot, mask: Mask, terms: list[Term], sort: SortOrder) -> Rows:
    if sort == "title":
        return snapshot.by_title[mask[snapshot.by_title]]
    if sort == "modified" or not terms:
        return snapshot.by_modified[mask[snapshot.by_modified]]
    rows = np.flatnonzero(mask)
    score = np.zeros(len(rows), dtype=np.int32)
    for term in terms:
        in_tags = snapshot.tag_texts.holds(term.needle, rows)
        in_title = snapshot.titles.holds(term.needle, rows)
        score += np.where(in_title, 3, np.where(in_tags, 2, 1)).astype(np.int32)
    keys = (-snapshot.ids[rows], -snapshot.updated[rows], -score)
    return rows[np.lexsort(keys)].astype(np.intp)


def _fts_phrase(term: Term) -> str:
    # Terms hold letters, digits and marks only (search_text.words), so no FTS5 syntax
    # (quotes, *, -, :, NEAR) can reach the query; each phrase has 3+ characters.
    if term.kind == TermKind.SHORT:
        return f'grams:" {term.text} "'
    return f'doc:"{term.needle}"'


def _postgres_conditions(terms: list[Term]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    short = [term.text for term in terms if term.kind == TermKind.SHORT]
    if short:
        wanted = bindparam("grams", short, type_=postgresql.ARRAY(Text()))
        conditions.append(DatasetSearchText.grams.op("@>", is_comparison=True)(wanted))
    # pg_trgm's GIN index answers LIKE; the terms hold no % or _ (search_text.words).
    conditions.extend(DatasetSearchText.doc.like(f"%{term.needle}%")
                      for term in terms if term.kind != TermKind.SHORT)
    return conditions


def _matching_ids(session: Session, terms: list[Term]) -> NDArray[np.int64]:
    """Ids of the datasets whose text holds every term, visible or not. The database
    joins them into one string: thousands of rows one by one cost more than the match."""
    if session.get_bind().dialect.name == "postgresql":
        # The planner prices LIKE and @> as cheap as "=", so for a common term (a tenth of
        # the catalog) it reads every row and tests each long text: 50-170 ms for 10,000
        # datasets, where the GIN indexes answer in 2. Only this statement goes without.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        joined = session.scalar(
            select(func.string_agg(cast(DatasetSearchText.dataset_id, Text), ","))
            .where(*_postgres_conditions(terms)))
        session.execute(text("SET LOCAL enable_seqscan = on"))
    else:
        joined = session.scalar(
            text("SELECT group_concat(rowid) FROM dataset_search_fts "
                 "WHERE dataset_search_fts MATCH :match"),
            {"match": " AND ".join(_fts_phrase(term) for term in terms)})
    if not joined:
        return np.empty(0, dtype=np.int64)
    return np.sort(np.array(joined.split(","), dtype=np.int64))


def load_datasets(session: Session, dataset_ids: list[int]) -> list[Dataset]:
    """The datasets of a result page, in its order, with their organizations and tags."""
    if not dataset_ids:
        return []
    rows = session.scalars(
        select(Dataset).where(Dataset.id.in_(dataset_ids))
        .options(joinedload(Dataset.organization), selectinload(Dataset.tags))).unique()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in dataset_ids if i in by_id]
