"""DCAT-AP 3 of the catalog and of each dataset, parsed back with rdflib in both formats:
the datasets, their language-tagged titles, distributions with checksums, Hydra pages and
incremental harvesting with modified_since."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from open_formats_helpers import API, STATIONS_CSV, publish_profiled
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, XSD
from sqlalchemy import update

from aihub.datasets.models import Dataset
from aihub.hub import Hub
from aihub.interop.catalog_export import Links
from aihub.interop.dcat import HYDRA, MAX_DISTRIBUTIONS, SPDX, CatalogQuery, catalog_graph
from factories import Factories

pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib 7.6's JSON-LD parser

BASE = "http://testserver"
FORMATS = {"jsonld": "json-ld", "ttl": "turtle"}


def _graph(api: TestClient, path: str) -> Graph:
    response = api.get(path)
    assert response.status_code == 200, response.text
    fmt = path.split("?", maxsplit=1)[0].rsplit(".", 1)[1]
    expected = "application/ld+json" if fmt == "jsonld" else "text/turtle; charset=utf-8"
    assert response.headers["content-type"] == expected
    return Graph().parse(data=response.content, format=FORMATS[fmt])


def _ref(slug: str) -> URIRef:
    return URIRef(f"{BASE}/datasets/{slug}")


def _tagged(graph: Graph, subject: URIRef, predicate: URIRef) -> set[tuple[str | None, str]]:
    return {(o.language, str(o)) for o in graph.objects(subject, predicate)
            if isinstance(o, Literal)}


def _without_pages(graph: Graph) -> Graph:
    pages = set(graph.subjects(RDF.type, HYDRA.PagedCollection))
    kept = Graph()
    for triple in graph:
        if triple[0] not in pages:
            kept.add(triple)
    return kept


def test_the_catalog_lists_published_datasets_in_both_formats(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    host = live_factories.host()
    publish_profiled(live_hub, live_factories, host, "air", {"data/stations.csv": STATIONS_CSV})
    live_factories.dataset(host, "water", tier="registered", licence="CC-BY-4.0")
    live_factories.dataset(host, "draft", publish=False)
    graphs = {fmt: _graph(api, f"{API}/catalog.{fmt}") for fmt in FORMATS}
    # The same triples, but for the pages' own addresses (catalog.jsonld, catalog.ttl).
    assert isomorphic(_without_pages(graphs["jsonld"]), _without_pages(graphs["ttl"]))
    graph = graphs["ttl"]
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {_ref("air"), _ref("water")}
    catalog = URIRef(f"{BASE}/datasets")
    assert set(graph.objects(catalog, DCAT.dataset)) == {_ref("air"), _ref("water")}
    assert ("ko", "aihub 데이터 카탈로그") in _tagged(graph, catalog, DCTERMS.title)
    assert _tagged(graph, _ref("air"), DCTERMS.title) == {("ko", "대기질 air"),
                                                          ("en", "Air quality air")}
    pages = list(graph.subjects(RDF.type, HYDRA.PagedCollection))
    assert len(pages) == 1
    assert graph.value(pages[0], HYDRA.totalItems) == Literal(2, datatype=XSD.integer)
    checksums = {str(v) for v in graph.objects(None, SPDX.checksumValue)}
    assert hashlib.sha256(STATIONS_CSV).hexdigest() in checksums


def test_a_dataset_and_its_distributions(api: TestClient, live_hub: Hub,
                                         live_factories: Factories) -> None:
    host = live_factories.host()
    files = {"data/stations.csv": STATIONS_CSV, "data/지점 목록.csv": "지점\n중구\n".encode()}
    publish_profiled(live_hub, live_factories, host, "air", files, tier="registered",
                     licence="CC-BY-4.0")
    graphs = {fmt: _graph(api, f"{API}/datasets/air/dcat.{fmt}") for fmt in FORMATS}
    assert isomorphic(graphs["jsonld"], graphs["ttl"])
    for graph in graphs.values():
        air = _ref("air")
        assert list(graph.subjects(RDF.type, DCAT.Dataset)) == [air]
        assert graph.value(air, OWL.versionInfo) == Literal("1.0.0")
        assert graph.value(air, DCTERMS.license) == URIRef(
            "https://spdx.org/licenses/CC-BY-4.0.html")
        assert graph.value(air, DCTERMS.accessRights) == URIRef(
            "http://publications.europa.eu/resource/authority/access-right/RESTRICTED")
        # Tags carry no language: those in Hangul are Korean, the others untagged.
        assert _tagged(graph, air, DCAT.keyword) == {(None, "air"), ("ko", "대기질")}
        publisher = graph.value(air, DCTERMS.publisher)
        assert publisher == URIRef(f"{BASE}/organizations/daejeon-city")
        distributions = set(graph.objects(air, DCAT.distribution))
        assert len(distributions) == 2
        for node in distributions:
            url = str(graph.value(node, DCAT.downloadURL))
            served = api.get(url.removeprefix(BASE))  # tiered: the host's token is needed
            assert served.status_code == 401
            checksum = graph.value(node, SPDX.checksum)
            assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
            path = str(graph.value(node, DCTERMS.title))
            value = graph.value(checksum, SPDX.checksumValue)
            assert str(value) == hashlib.sha256(files[path]).hexdigest()
            assert int(graph.value(node, DCAT.byteSize)) == len(files[path])
            assert str(node).startswith(f"{BASE}/datasets/air/versions/")


def test_the_catalog_pages_with_hydra(live_hub: Hub, live_factories: Factories) -> None:
    host = live_factories.host()
    for n in range(5):
        live_factories.dataset(host, f"set-{n}")
    links, seen = Links(BASE), []
    with live_hub.db.reading() as session:
        for page in (1, 2, 3, 4):
            graph = catalog_graph(session, links, "ttl",
                                  CatalogQuery(page=page, per_page=2))
            seen += sorted(str(s) for s in graph.subjects(RDF.type, DCAT.Dataset))
            node = URIRef(f"{BASE}{API}/catalog.ttl?page={page}")
            assert graph.value(node, HYDRA.totalItems) == Literal(5, datatype=XSD.integer)
            assert graph.value(node, HYDRA.first) == URIRef(f"{BASE}{API}/catalog.ttl?page=1")
            assert graph.value(node, HYDRA["last"]) == URIRef(
                f"{BASE}{API}/catalog.ttl?page=3")
            following = graph.value(node, HYDRA.next)
            assert following == (URIRef(f"{BASE}{API}/catalog.ttl?page={page + 1}")
                                 if page < 3 else None)
            assert graph.value(node, HYDRA.nextPage) == following  # older harvesters
    assert seen == sorted(seen) and len(set(seen)) == 5 == len(seen)


def test_modified_since_keeps_what_changed(api: TestClient, live_hub: Hub,
                                          live_factories: Factories) -> None:
    host = live_factories.host()
    for slug in ("old", "recent"):
        live_factories.dataset(host, slug)
    # Seoul is UTC+9: 2024-05-01T15:30Z is 2024-05-02 00:30 there.
    moments = {"old": datetime(2020, 1, 1, tzinfo=UTC),
               "recent": datetime(2024, 5, 1, 15, 30, tzinfo=UTC)}
    with live_hub.db.transaction() as session:
        for slug, moment in moments.items():
            session.execute(update(Dataset).where(Dataset.slug == slug)
                            .values(updated_at=moment))

    def listed(since: str) -> set[URIRef]:
        graph = _graph(api, f"{API}/catalog.ttl?modified_since={since}")
        return set(graph.subjects(RDF.type, DCAT.Dataset))

    assert listed("2024-05-02") == {_ref("recent")}  # midnight in the hub's zone
    assert listed("2024-05-02T00:00:00%2B00:00") == set()
    assert listed("2024-05-02T00:00:00+09:00") == {_ref("recent")}  # '+' sent unencoded
    assert listed("2024-05-02T00:31:00+09:00") == set()
    assert listed("2019-12-31") == {_ref("old"), _ref("recent")}
    graph = _graph(api, f"{API}/catalog.jsonld?modified_since=2019-12-31")
    first = next(graph.objects(None, HYDRA.first))
    assert "modified_since=2019-12-31T00%3A00%3A00%2B09%3A00" in str(first)


def test_a_version_of_many_files_is_one_distribution_its_manifest(
        api: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    files = {f"parts/{n:03}.csv": f"n\n{n}\n".encode() for n in range(MAX_DISTRIBUTIONS + 1)}
    live_factories.dataset(host, "many", files=files)
    version = api.get(f"{API}/datasets/many/versions/1.0.0").json()
    manifest = api.get(f"{API}/datasets/many/versions/1.0.0/manifest").content
    graph = _graph(api, f"{API}/datasets/many/dcat.ttl")
    (node,) = graph.objects(_ref("many"), DCAT.distribution)
    assert graph.value(node, DCAT.downloadURL) == URIRef(
        f"{BASE}{API}/datasets/many/versions/{version['rev']}/manifest")
    checksum = graph.value(node, SPDX.checksum)
    assert str(graph.value(checksum, SPDX.checksumValue)) == version["rev"] == \
        hashlib.sha256(manifest).hexdigest()
    assert int(graph.value(node, DCAT.byteSize)) == len(manifest)
    assert ("en", f"Manifest of version 1.0.0: the path, size and sha256 of its "
                  f"{MAX_DISTRIBUTIONS + 1} files") in _tagged(graph, node, DCTERMS.title)
