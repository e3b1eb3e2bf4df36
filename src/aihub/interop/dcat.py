"""DCAT-AP 3 RDF of the catalog and of each published dataset, in JSON-LD and Turtle.

The model is ckanext-dcat's ``euro_dcat_ap_3`` profile (reference §4): a dataset is its
page's URI with its titles and descriptions in Korean and English, keywords, publisher and
contact point (the organization), licence, access rights and version; each file of its
latest published version is a distribution with its download URL, size, media type,
format and sha256 (``spdx:checksum``). The catalog pages through its datasets with Hydra,
100 a page, as ckanext-dcat's ``/catalog.{format}`` does, and takes ``modified_since``
for incremental harvesting. Only datasets with a published version appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal as TypingLiteral
from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, XSD
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from aihub.datasets.licences import get_licence
from aihub.datasets.models import AccessTier, Dataset, DatasetFile, DatasetVersion
from aihub.datasets.status import VersionStatus
from aihub.interop.catalog_export import (
    HANGUL,
    Links,
    latest_published_versions,
    licence_uri,
)

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
PER_PAGE = 100  # ckanext-dcat's datasets_per_page
# A version of more files is one distribution, its manifest (which lists every file with
# its size and sha256). rdflib builds and writes about 250 distributions a second on a
# 2-core machine: at 100 files a dataset, a page of 100 datasets took 30-43 s; at 20, a
# page takes at most about 8 s. Croissant lists every file.
MAX_DISTRIBUTIONS = 20
Format = TypingLiteral["jsonld", "ttl"]
MEDIA_TYPES: dict[str, str] = {"jsonld": "application/ld+json",
                               "ttl": "text/turtle; charset=utf-8"}
_RDFLIB_FORMATS = {"jsonld": "json-ld", "ttl": "turtle"}
PREFIXES = {"dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "vcard": str(VCARD),
            "spdx": str(SPDX), "hydra": str(HYDRA), "owl": str(OWL), "adms": str(ADMS),
            "rdfs": str(RDFS), "xsd": str(XSD)}

_IANA = "http://www.iana.org/assignments/media-types/"
_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
# DCAT-AP's controlled vocabularies: EU file types by media type, access rights by tier.
_FILE_TYPES = {
    "text/csv": "CSV", "text/tab-separated-values": "TSV", "application/json": "JSON",
    "application/vnd.apache.parquet": "PARQUET", "application/x-parquet": "PARQUET",
    "application/zip": "ZIP", "application/gzip": "GZIP", "application/x-tar": "TAR",
    "application/pdf": "PDF", "text/plain": "TXT", "application/xml": "XML",
    "application/geo+json": "GEOJSON", "image/png": "PNG", "image/jpeg": "JPEG",
    "image/tiff": "TIFF", "image/gif": "GIF", "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}
_ACCESS_RIGHTS = {AccessTier.OPEN: "PUBLIC", AccessTier.REGISTERED: "RESTRICTED",
                  AccessTier.APPROVAL: "RESTRICTED"}
# What each tier asks of a person before a download (the distribution's dct:rights).
_TIER_TERMS = {
    AccessTier.OPEN: ("누구나 내려받을 수 있습니다.", "Anyone may download the files."),
    AccessTier.REGISTERED: ("로그인하고 이용조건에 동의하면 내려받을 수 있습니다.",
                            "Log in and accept the licence on the dataset's page to download."),
    AccessTier.APPROVAL: ("이용 신청이 승인되어야 내려받을 수 있습니다.",
                          "Request access on the dataset's page; downloads follow approval."),
}
CATALOG_TITLE = ("aihub 데이터 카탈로그", "aihub data catalog")
CATALOG_DESCRIPTION = ("aihub에 공개된 데이터셋과 그 최신 버전의 파일.",
                       "The datasets published on this aihub, with the files of their "
                       "latest version.")


@dataclass(frozen=True)
class FileRow:
    """What a distribution needs of a file (not its profile or PII report)."""

    path: str
    size: int
    sha256: str
    media_type: str


@dataclass(frozen=True)
class Entry:
    """One dataset as exported: its latest published version and that version's files
    (none listed when there are more than ``MAX_DISTRIBUTIONS``: its manifest stands in)."""

    dataset: Dataset
    version: DatasetVersion
    files: list[FileRow]


def _files(session: Session, listed: list[DatasetVersion]) -> dict[int, list[FileRow]]:
    version_ids = [v.id for v in listed if not _by_manifest(v)]
    out: dict[int, list[FileRow]] = {v.id: [] for v in listed}
    if not version_ids:
        return out
    rows = session.execute(
        select(DatasetFile.version_id, DatasetFile.path, DatasetFile.size,
               DatasetFile.sha256, DatasetFile.media_type)
        .where(DatasetFile.version_id.in_(version_ids)).order_by(DatasetFile.path))
    for version_id, path, size, sha256, media_type in rows:
        out[version_id].append(FileRow(path, size, sha256, media_type))
    return out


def entries(session: Session, datasets: list[Dataset]) -> list[Entry]:
    """The datasets that have a published version, with it and its files (three
    statements whatever the number of datasets)."""
    latest = latest_published_versions(session, [d.id for d in datasets])
    files = _files(session, list(latest.values()))
    return [Entry(d, latest[d.id], files[latest[d.id].id]) for d in datasets if d.id in latest]


def _by_manifest(version: DatasetVersion) -> bool:
    return version.file_count > MAX_DISTRIBUTIONS


def _text(text: str) -> Literal:
    """Free text whose language is not recorded (tags, licence terms, notes): Korean when
    it is written in Hangul, untagged otherwise."""
    return Literal(text, lang="ko") if HANGUL.search(text) else Literal(text)


def _both(graph: Graph, subject: URIRef | BNode, predicate: URIRef, ko: str, en: str) -> None:
    for lang, text in (("ko", ko), ("en", en)):
        if text.strip():
            graph.add((subject, predicate, Literal(text, lang=lang)))


def _when(value: datetime) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


def _licence(graph: Graph, dataset: Dataset) -> URIRef | BNode:
    licence = get_licence(dataset.licence_id)
    uri = licence_uri(licence)
    node: URIRef | BNode = URIRef(uri) if uri else BNode()
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    _both(graph, node, DCTERMS.title, licence.title_ko, licence.title_en)
    if uri is None and dataset.licence_text:
        graph.add((node, DCTERMS.description, _text(dataset.licence_text)))
    return node


def _organization(graph: Graph, subject: URIRef, dataset: Dataset, links: Links) -> None:
    org = dataset.organization
    publisher = URIRef(links.organization(org.slug))
    graph.add((publisher, RDF.type, FOAF.Agent))
    _both(graph, publisher, FOAF.name, org.name_ko, org.name_en)
    graph.add((subject, DCTERMS.publisher, publisher))
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Organization))
    _both(graph, contact, VCARD.fn, org.name_ko, org.name_en)
    # The organization has no public e-mail: its dataset page is where to reach it.
    graph.add((contact, VCARD.hasURL, URIRef(links.dataset(dataset.slug))))
    graph.add((subject, DCAT.contactPoint, contact))


@dataclass(frozen=True)
class _Shared:
    """What every distribution of one dataset says alike."""

    landing: URIRef
    licence: URIRef | BNode
    rights: BNode
    issued: datetime | None


def _distribution(graph: Graph, node: URIRef, download: str, item: FileRow,
                  shared: _Shared) -> URIRef:
    graph.add((node, RDF.type, DCAT.Distribution))
    # Access is arranged on the dataset's page (licence, requests); the file is below.
    graph.add((node, DCAT.accessURL, shared.landing))
    graph.add((node, DCAT.downloadURL, URIRef(download)))
    graph.add((node, DCAT.byteSize, Literal(item.size, datatype=XSD.nonNegativeInteger)))
    graph.add((node, DCAT.mediaType, URIRef(_IANA + item.media_type)))
    if item.media_type in _FILE_TYPES:
        graph.add((node, DCTERMS["format"], URIRef(_FILE_TYPE + _FILE_TYPES[item.media_type])))
    checksum = BNode()
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(item.sha256, datatype=XSD.hexBinary)))
    graph.add((node, SPDX.checksum, checksum))
    graph.add((node, DCTERMS.license, shared.licence))
    graph.add((node, DCTERMS.rights, shared.rights))
    if shared.issued is not None:
        graph.add((node, DCTERMS.issued, _when(shared.issued)))
    return node


def _distributions(graph: Graph, entry: Entry, shared: _Shared, links: Links
                   ) -> list[URIRef]:
    """One per file; or, for a version of many files, its manifest: the sha256 of its
    bytes is the version's rev."""
    dataset, version = entry.dataset, entry.version
    slug, rev = dataset.slug, version.rev
    assert rev is not None  # published versions have their manifest
    if not _by_manifest(version):
        nodes = []
        for item in entry.files:
            node = URIRef(links.distribution(slug, rev, item.path))
            graph.add((node, DCTERMS.title, Literal(item.path)))
            nodes.append(_distribution(graph, node, links.download(slug, rev, item.path),
                                       item, shared))
        return nodes
    manifest = FileRow("manifest", len((version.manifest or "").encode()), rev,
                       "application/json")
    node = URIRef(links.manifest(slug, rev))
    _both(graph, node, DCTERMS.title,
          f"버전 {version.label} 매니페스트: 파일 {version.file_count:,}개의 경로, 크기, sha256",
          f"Manifest of version {version.label}: the path, size and sha256 of its "
          f"{version.file_count:,} files")
    return [_distribution(graph, node, links.manifest_download(slug, rev), manifest, shared)]


def add_dataset(graph: Graph, entry: Entry, links: Links) -> URIRef:
    """The dataset's triples, and its distributions'; its URI."""
    dataset, version = entry.dataset, entry.version
    subject = URIRef(links.dataset(dataset.slug))
    graph.add((subject, RDF.type, DCAT.Dataset))
    graph.add((subject, DCTERMS.identifier, Literal(str(subject))))
    _both(graph, subject, DCTERMS.title, dataset.title_ko, dataset.title_en)
    if dataset.description_ko.strip() or dataset.description_en.strip():
        _both(graph, subject, DCTERMS.description, dataset.description_ko,
              dataset.description_en)
    else:  # DCAT-AP requires a description: the titles say what there is
        _both(graph, subject, DCTERMS.description, dataset.title_ko, dataset.title_en)
    for tag in sorted(t.name for t in dataset.tags):
        graph.add((subject, DCAT.keyword, _text(tag)))
    graph.add((subject, DCAT.landingPage, URIRef(links.dataset(dataset.slug))))
    graph.add((subject, OWL.versionInfo, Literal(version.label)))
    graph.add((subject, ADMS.versionNotes, _text(version.message)))
    if dataset.published_at is not None:
        graph.add((subject, DCTERMS.issued, _when(dataset.published_at)))
    graph.add((subject, DCTERMS.modified, _when(dataset.updated_at)))
    _organization(graph, subject, dataset, links)
    licence = _licence(graph, dataset)
    graph.add((subject, DCTERMS.license, licence))
    tier = AccessTier(dataset.access_tier)
    graph.add((subject, DCTERMS.accessRights, URIRef(_ACCESS_RIGHT + _ACCESS_RIGHTS[tier])))
    if dataset.source.strip():
        provenance = BNode()
        graph.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
        graph.add((provenance, RDFS.label, _text(dataset.source)))
        graph.add((subject, DCTERMS.provenance, provenance))
    graph.add((subject, RDFS.seeAlso, URIRef(links.croissant(dataset.slug))))
    rights = BNode()  # one statement for all the files: they share the dataset's tier
    graph.add((rights, RDF.type, DCTERMS.RightsStatement))
    _both(graph, rights, RDFS.label, *_TIER_TERMS[tier])
    shared = _Shared(URIRef(links.dataset(dataset.slug)), licence, rights, version.published_at)
    for node in _distributions(graph, entry, shared, links):
        graph.add((subject, DCAT.distribution, node))
    return subject


def new_graph() -> Graph:
    # No named graphs here: the plain store builds the graph about a quarter faster.
    graph = Graph(store="SimpleMemory")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def dataset_graph(session: Session, dataset: Dataset, links: Links) -> Graph:
    """One dataset with its latest published version's files (the caller checked it
    has one)."""
    graph = new_graph()
    for entry in entries(session, [dataset]):
        add_dataset(graph, entry, links)
    return graph


@dataclass(frozen=True)
class CatalogQuery:
    page: int = 1
    modified_since: datetime | None = None  # aware
    per_page: int = PER_PAGE


def _published(query: CatalogQuery) -> Select[Dataset]:
    published = select(DatasetVersion.dataset_id).where(
        DatasetVersion.status == VersionStatus.PUBLISHED.value)
    statement = select(Dataset).where(Dataset.id.in_(published))
    if query.modified_since is not None:
        statement = statement.where(Dataset.updated_at >= query.modified_since)
    return statement


def _page_url(links: Links, fmt: Format, query: CatalogQuery, page: int) -> URIRef:
    params: dict[str, str] = {}
    if query.modified_since is not None:
        params["modified_since"] = query.modified_since.isoformat()
    params["page"] = str(page)
    return URIRef(links.api(f"/catalog.{fmt}") + "?" + urlencode(params))


def _pagination(graph: Graph, links: Links, fmt: Format, query: CatalogQuery,
                total: int) -> None:
    """hydra:PagedCollection with the current and deprecated predicates, as ckanext-dcat
    writes them (its harvester reads hydra:next, then hydra:nextPage)."""
    last = max(1, -(-total // query.per_page))
    node = _page_url(links, fmt, query, query.page)
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    graph.add((node, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((node, HYDRA.itemsPerPage, Literal(query.per_page, datatype=XSD.integer)))
    pages = {"first": 1, "last": last,
             "next": query.page + 1 if query.page < last else None,
             "previous": query.page - 1 if 1 < query.page <= last + 1 else None}
    for name, number in pages.items():
        if number is None:
            continue
        target = _page_url(links, fmt, query, number)
        graph.add((node, HYDRA[name], target))
        graph.add((node, HYDRA[f"{name}Page"], target))


def catalog_graph(session: Session, links: Links, fmt: Format, query: CatalogQuery) -> Graph:
    """One page of the catalog: the dcat:Catalog, its datasets and the page's links."""
    base = _published(query)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = list(session.scalars(
        base.options(joinedload(Dataset.organization), selectinload(Dataset.tags))
        .order_by(Dataset.id).offset((query.page - 1) * query.per_page).limit(query.per_page)
    ).unique())
    graph = new_graph()
    catalog = URIRef(links.catalog())
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _both(graph, catalog, DCTERMS.title, *CATALOG_TITLE)
    _both(graph, catalog, DCTERMS.description, *CATALOG_DESCRIPTION)
    graph.add((catalog, FOAF.homepage, URIRef(links.base + "/")))
    publisher = BNode()
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal("aihub")))
    graph.add((catalog, DCTERMS.publisher, publisher))
    modified = session.scalar(base.with_only_columns(Dataset.updated_at)
                              .order_by(Dataset.updated_at.desc()).limit(1))
    if modified is not None:
        graph.add((catalog, DCTERMS.modified, _when(modified)))
    for entry in entries(session, rows):
        graph.add((catalog, DCAT.dataset, add_dataset(graph, entry, links)))
    _pagination(graph, links, fmt, query, total)
    return graph


def serialize(graph: Graph, fmt: Format) -> bytes:
    if fmt == "jsonld":
        text = graph.serialize(format="json-ld", context=PREFIXES, indent=2)
    else:
        text = graph.serialize(format=_RDFLIB_FORMATS[fmt])
    return text.encode("utf-8")
