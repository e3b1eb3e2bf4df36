"""Routes of the catalog's open formats: Croissant JSON-LD per published version, DCAT-AP
for the catalog and per dataset (JSON-LD and Turtle). Metadata only, public like the
dataset's page; the files they name keep their access tier."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from rdflib import Graph

from aihub.deps import ActorDep, HubDep, ReadSession
from aihub.errors import InvalidInput
from aihub.hub import Hub
from aihub.interop import croissant, dcat
from aihub.interop.catalog_export import Links, published_version

router = APIRouter(prefix="/api/v1", tags=["open formats"])

_JSONLD: dict[int | str, dict[str, Any]] = {200: {"content": {"application/ld+json": {}}}}
_RDF: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/ld+json": {}, "text/turtle": {}}}}
ModifiedSince = Annotated[str | None, Query(
    max_length=40, description="Only datasets changed since then: an ISO 8601 date or "
    "time (2024-05-01, 2024-05-01T09:00:00+09:00); without an offset, in the hub's time "
    "zone.")]
CatalogPage = Annotated[int, Query(ge=1, le=1_000_000, description="The page, from 1; "
                                   f"{dcat.PER_PAGE} datasets a page.")]


def links_for(hub: Hub, request: Request) -> Links:
    """The hub's public address (PUBLIC_BASE_URL, else the address this request came to)."""
    return Links((hub.settings.public_base_url or str(request.base_url)).rstrip("/"))


def _croissant_response(document: dict[str, Any]) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(body, media_type=croissant.MEDIA_TYPE)


@router.get("/datasets/{slug}/croissant.json", response_class=Response, responses=_JSONLD)
def latest_croissant_route(slug: str, request: Request, session: ReadSession,
                           actor: ActorDep, hub: HubDep) -> Response:
    """Croissant 1.1 of the dataset's latest published version."""
    dataset, version = published_version(session, slug, None, actor)
    return _croissant_response(croissant.build_croissant(session, dataset, version,
                                                         links_for(hub, request)))


@router.get("/datasets/{slug}/versions/{ref}/croissant.json", response_class=Response,
            responses=_JSONLD)
def version_croissant_route(slug: str, ref: str, request: Request, session: ReadSession,
                            actor: ActorDep, hub: HubDep) -> Response:
    """Croissant 1.1 of a published version, by label or rev (the same document)."""
    dataset, version = published_version(session, slug, ref, actor)
    return _croissant_response(croissant.build_croissant(session, dataset, version,
                                                         links_for(hub, request)))


# Harvesters poll, the RDF costs seconds a page to write, and it is public: a proxy or
# client may keep it a few minutes.
_RDF_CACHE = {"Cache-Control": "public, max-age=300"}


def _rdf_response(graph: Graph, fmt: dcat.Format) -> Response:
    return Response(dcat.serialize(graph, fmt), media_type=dcat.MEDIA_TYPES[fmt],
                    headers=_RDF_CACHE)


@router.get("/datasets/{slug}/dcat.{fmt}", response_class=Response, responses=_RDF)
def dataset_dcat_route(slug: str, fmt: dcat.Format, request: Request, session: ReadSession,
                       actor: ActorDep, hub: HubDep) -> Response:
    """DCAT-AP 3 of one dataset and its latest published version's files (jsonld, ttl)."""
    dataset, _ = published_version(session, slug, None, actor)
    return _rdf_response(dcat.dataset_graph(session, dataset, links_for(hub, request)), fmt)


# A '+' left unencoded in a query string arrives as a space: "…T09:00:00 09:00".
_SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")


def parse_modified_since(value: str, hub: Hub) -> datetime:
    """An ISO 8601 date or time as an aware datetime (the hub's zone when it has none)."""
    try:
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", value.strip()))
    except ValueError:
        raise InvalidInput(f"modified_since {value[:40]!r} is not an ISO 8601 date or time; "
                           "write it as 2024-05-01 or 2024-05-01T09:00:00+09:00.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=hub.settings.zone)


@router.get("/catalog.{fmt}", response_class=Response, responses=_RDF)
def catalog_route(fmt: dcat.Format, request: Request, session: ReadSession, hub: HubDep,
                  page: CatalogPage = 1, modified_since: ModifiedSince = None) -> Response:
    """The DCAT-AP 3 catalog of published datasets, paged with Hydra (jsonld, ttl)."""
    since = parse_modified_since(modified_since, hub) if modified_since else None
    query = dcat.CatalogQuery(page=page, modified_since=since)
    graph = dcat.catalog_graph(session, links_for(hub, request), fmt, query)
    return _rdf_response(graph, fmt)
