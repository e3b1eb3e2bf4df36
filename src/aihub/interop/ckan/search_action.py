"""``package_search`` over the catalog's search (``datasets.search``, which the API and
the catalog page call too): CKAN's ``q``, ``fq``, ``rows``, ``start``, ``sort`` and facets,
with CKAN's paging rules (rows default 10, at most 1,000, silently; an empty page once
``start`` passes the count, which is how ``ckanapi search datasets`` knows it is done)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import VISITOR
from aihub.accounts.models import Organization
from aihub.datasets.licences import LICENCES
from aihub.datasets.search import (
    FacetCount,
    Filter,
    FilterField,
    SearchQuery,
    SortOrder,
    search_datasets,
)
from aihub.errors import AihubError
from aihub.interop.ckan import packages, params
from aihub.interop.ckan.errors import CkanSearchQueryError
from aihub.interop.ckan.fq import FqError, FqQuery, parse_fq, split_q
from aihub.interop.ckan.registry import Call, action

ROWS_DEFAULT, ROWS_MAX = 10, 1_000  # ckan.search.rows_max, applied silently as CKAN does
FACET_LIMIT, FACET_LIMIT_MAX = 50, 1_000
DEFAULT_SORT = "score desc, metadata_modified desc"
# CKAN's sort strings -> the search module's orders.
SORTS: dict[str, SortOrder] = {DEFAULT_SORT: "relevance", "score desc": "relevance",
         "metadata_modified desc": "modified", "title_string asc": "title"}
# CKAN's facet fields -> the search module's.
FACETS = {"organization": "organization", "tags": "tag", "res_format": "format",
          "license_id": "licence", "access_tier": "tier"}


def _sort(call: Call) -> str:
    given = " ".join(params.text(call.params, "sort", limit=200).lower().split())
    given = ", ".join(part.strip() for part in given.split(",")) if given else DEFAULT_SORT
    if given not in SORTS:
        raise CkanSearchQueryError(f"sort {given[:80]!r} is not supported; aihub sorts by "
                                   f"{', '.join(repr(s) for s in SORTS)}.")
    return given


def _filters(call: Call) -> tuple[str, FqQuery]:
    q = params.text(call.params, "q", limit=10_000)
    try:
        text, from_q = split_q(q)
        query = parse_fq(params.text(call.params, "fq", limit=10_000),
                         *params.string_list(call.params, "fq_list", limit=100))
    except FqError as exc:
        raise CkanSearchQueryError(str(exc)) from None
    query.filters.extend(from_q.filters)
    query.impossible = query.impossible or from_q.impossible
    return text, query


def _facet_fields(call: Call) -> list[str]:
    if not params.boolean(call.params, "facet", True):
        return []
    return params.string_list(call.params, "facet.field", limit=50)


def _display(session: Session, field: str, names: list[str]) -> dict[str, str]:
    if field == "organization":
        rows = session.execute(select(Organization.slug, Organization.name_ko, Organization.name_en)
                               .where(Organization.slug.in_(names)))
        return {slug: ko or en for slug, ko, en in rows}
    if field == "license_id":
        return {n: LICENCES[n].title_en for n in names if n in LICENCES}
    return {}


def _facet_limit(call: Call) -> int:
    limit = params.integer(call.params, "facet.limit", FACET_LIMIT, minimum=-1)
    return FACET_LIMIT_MAX if limit < 0 else min(limit, FACET_LIMIT_MAX)


def _facets(session: Session, call: Call, found: dict[str, list[FacetCount]],
            fields: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    limit = _facet_limit(call)
    mincount = params.integer(call.params, "facet.mincount", 1)
    facets: dict[str, Any] = {}
    search_facets: dict[str, Any] = {}
    for field in fields:
        counts = [c for c in found.get(FACETS.get(field, ""), []) if c.count >= mincount][:limit]
        names = [c.value.upper() if field == "res_format" else c.value for c in counts]
        shown = _display(session, field, names)
        facets[field] = {name: c.count for name, c in zip(names, counts, strict=True)}
        search_facets[field] = {"title": field, "items": [
            {"count": c.count, "display_name": shown.get(name, name), "name": name}
            for name, c in zip(names, counts, strict=True)]}
    return facets, search_facets


@action(read_only=True)
def package_search(call: Call) -> dict[str, Any]:
    """Datasets matching ``q`` (full text, Korean partial words too; ``field:value`` in it
    filters like fq) and ``fq``/``fq_list`` (see docs/ckan.md for the subset); ``rows``
    (default 10, at most 1,000), ``start``, ``sort`` (score desc, metadata_modified desc,
    title_string asc), ``facet.field`` (organization, tags, res_format, license_id,
    access_tier), ``facet.limit``, ``facet.mincount``; ``include_private`` adds the
    caller's unpublished datasets."""
    text, query = _filters(call)
    sort = _sort(call)
    rows = min(params.integer(call.params, "rows", ROWS_DEFAULT), ROWS_MAX)
    start = params.integer(call.params, "start", 0)
    fields = _facet_fields(call)
    private = params.boolean(call.params, "include_private") or \
        params.boolean(call.params, "include_drafts")
    out: dict[str, Any] = {"count": 0, "results": [], "sort": sort,
                           "facets": {f: {} for f in fields},
                           "search_facets": {f: {"title": f, "items": []} for f in fields}}
    if query.impossible:
        return out
    wanted = SearchQuery(
        text=text, filters=tuple(Filter(field=cast(FilterField, f.field), values=f.values,
                                        negate=f.negate) for f in query.filters),
        sort=SORTS[sort], offset=start, limit=rows, facet_limit=_facet_limit(call))
    with call.hub.db.reading() as session:
        try:
            found = search_datasets(session, call.actor if private else VISITOR, wanted)
        except AihubError as exc:
            raise CkanSearchQueryError(exc.detail) from None
        ids = found.dataset_ids if start < found.count else []
        out["count"] = found.count
        out["results"] = packages.packages(session, call.base, ids)
        out["facets"], out["search_facets"] = _facets(session, call, found.facets, fields)
    return out
