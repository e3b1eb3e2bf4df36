"""Croissant 1.1 JSON-LD (mlcommons.org/croissant) for a published dataset version.

Built from the version's manifest (files, sizes, sha256) and its file profiles (columns
and types), without importing mlcroissant: the context below is the one mlcroissant 1.1.1
makes for Croissant 1.1, and a test compares the two, so a drift fails there.

What a loader can read decides what is declared (reference §5.2): mlcroissant reads CSV as
UTF-8 with ',' and TSV with a tab, so a table in CP949 or UTF-16, or with another
delimiter, gets a ``cr:FileObject`` but no ``cr:RecordSet``; it turns the text "no" into
True, so a CSV column is ``sc:Boolean`` only when its values are spellings of true and
false that pandas reads as booleans. ``@id``s may not hold spaces, so they are
percent-encoded where needed (records are keyed by their fields' ``@id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from aihub.datasets.findings import latest_decisions, version_findings
from aihub.datasets.licences import get_licence
from aihub.datasets.manifest import DEFAULT_MEDIA_TYPE
from aihub.datasets.models import (
    Dataset,
    DatasetFile,
    DatasetVersion,
    FindingDecision,
    FindingDecisionKind,
)
from aihub.datasets.versions import version_files
from aihub.interop.catalog_export import HANGUL, Links, licence_uri

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
MEDIA_TYPE = "application/ld+json"

# mlcroissant 1.1.1's context for Croissant 1.1 (``make_context`` with a 1.1 context):
# ``name`` and ``description`` are language maps there, so Korean and English both fit.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

# The profile's logical types as Croissant data types (profile_types.CROISSANT_TYPES).
DATA_TYPES = {
    "integer": "sc:Integer", "float": "sc:Float", "boolean": "sc:Boolean",
    "date": "sc:Date", "datetime": "sc:DateTime", "text": "sc:Text",
}
# Tables mlcroissant reads, and how: the profile's format -> (encodingFormat, delimiter
# it reads with; None where the format has none).
_READABLE = {
    "csv": ("text/csv", ","),
    "tsv": ("text/tab-separated-values", "\t"),
    "parquet": ("application/x-parquet", None),
    "jsonl": ("application/jsonlines", None),
}
_UTF8 = (None, "utf-8", "utf-8-sig")
# pandas.read_csv turns exactly these into booleans (its default true and false values).
_PANDAS_BOOLEANS = frozenset({"True", "TRUE", "true", "False", "FALSE", "false"})
# Manifest media types that Croissant's loader knows under another name.
_ENCODING_FORMATS = {
    "application/vnd.apache.parquet": "application/x-parquet",
    "application/jsonl": "application/jsonlines",
}
# What an @id may not hold: spaces (mlcroissant refuses them), what IRIs give a meaning
# ('#', '?', '%') and what they forbid. Percent-encoding them keeps ids distinct.
_ID_UNSAFE = re.compile(r'[\s%#?"<>\\^`{|}\[\]\x00-\x1f\x7f]')
_ID_UNSAFE_SEGMENT = re.compile(r'[\s%#?/"<>\\^`{|}\[\]\x00-\x1f\x7f]')


def _encode(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


class Ids:
    """``@id``s unique within one document (a suffix where two would meet)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}~{n}"
        self.used.add(candidate)
        return candidate


def _in_its_language(text: str) -> str | dict[str, str]:
    """``text`` as a JSON-LD value: the context's ``@language`` makes a plain string
    English, so text in Hangul says it is Korean."""
    return {"@value": text, "@language": "ko"} if HANGUL.search(text) else text


def _texts(ko: str, en: str) -> dict[str, str]:
    """A language map of the texts that are not empty (Korean first)."""
    return {lang: text for lang, text in (("ko", ko), ("en", en)) if text.strip()}


def _description(dataset: Dataset) -> dict[str, str]:
    """Title and description per language: Croissant's ``name`` is the slug, so the
    human title leads the description."""
    out = {}
    for lang, title, body in (("ko", dataset.title_ko, dataset.description_ko),
                              ("en", dataset.title_en, dataset.description_en)):
        text = "\n\n".join(part for part in (title.strip(), body.strip()) if part)
        if text:
            out[lang] = text
    return out


def _licence(dataset: Dataset, links: Links) -> str | dict[str, Any]:
    licence = get_licence(dataset.licence_id)
    uri = licence_uri(licence)
    if uri is not None:
        return uri
    # Custom terms have no address of their own: name them, with the page that shows them.
    text = dataset.licence_text
    return {"@type": "sc:CreativeWork", "name": licence.title_en,
            # A language map, as ``description`` is one in the context.
            "description": {"ko" if HANGUL.search(text) else "en": text},
            "url": links.dataset(dataset.slug)}


def _instant(moment: datetime | None) -> str | None:
    """UTC with a Z, as mlcroissant writes dates back."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _cite_as(dataset: Dataset, version: DatasetVersion, links: Links
             ) -> str | dict[str, str]:
    org = dataset.organization
    author = org.name_en or org.name_ko
    year = version.published_at.year if version.published_at else ""
    title = dataset.title_en or dataset.title_ko
    return _in_its_language(f"{author}. ({year}). {title} (version {version.label}, rev "
                            f"{version.rev}) [Data set]. {links.dataset(dataset.slug)}")


def personal_data_statement(files: list[DatasetFile],
                            decisions: Mapping[tuple[int, str, str], FindingDecision]) -> str:
    """``rai:personalSensitiveInformation``: what the intake screened, what was found and
    who decided; counts only (a finding's examples stay with the curators)."""
    tables = sorted({str(item.pii_report.get("table_version")) for item in files
                     if item.pii_report and item.pii_report.get("table_version")})
    table = f"pattern table {', '.join(tables)}" if tables else "pattern table not recorded"
    found = version_findings(files)
    statement = f"Screened for Korean personal data at intake ({table})"
    if not found:
        return statement + "; nothing was found."
    places = len({f.path for f in found})
    cleared = sum(1 for f in found if (d := decisions.get(f.key)) is not None
                  and d.decision == FindingDecisionKind.CLEARED.value)
    return (statement + f"; {len(found)} finding{'s' if len(found) != 1 else ''} in "
            f"{places} file{'s' if places != 1 else ''}, {cleared} cleared by a curator "
            "with a recorded reason before publication.")


def _encoding_format(item: DatasetFile) -> str:
    """Tables under the name mlcroissant reads them by (the profile looked at their
    bytes: a Parquet file named .csv is Parquet); other files under the manifest's type,
    unless it knew nothing the profile knows."""
    profile = item.profile or {}
    fmt = profile.get("format")
    if isinstance(fmt, str) and fmt in _READABLE:
        return _READABLE[fmt][0]
    sniffed = profile.get("media_type")
    if item.media_type == DEFAULT_MEDIA_TYPE and isinstance(sniffed, str) and sniffed:
        return _ENCODING_FORMATS.get(sniffed, sniffed)
    return _ENCODING_FORMATS.get(item.media_type, item.media_type)


def file_object(item: DatasetFile, file_id: str, url: str) -> dict[str, Any]:
    return {
        "@type": "cr:FileObject", "@id": file_id, "name": item.path,
        "contentUrl": url, "contentSize": f"{item.size} B",
        "encodingFormat": _encoding_format(item), "sha256": item.sha256,
    }


def _columns(profile: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The profile's columns when mlcroissant can read the file as they say; else None."""
    fmt = profile.get("format")
    columns = profile.get("columns")
    if fmt not in _READABLE or not isinstance(profile.get("row_count"), int) \
            or not isinstance(columns, list) or not columns:
        return None
    _, delimiter = _READABLE[fmt]
    if delimiter is not None and (profile.get("delimiter") != delimiter
                                  or profile.get("encoding") not in _UTF8):
        return None
    if fmt == "jsonl" and profile.get("encoding") not in _UTF8:
        return None
    names = [c.get("name") if isinstance(c, Mapping) else None for c in columns]
    # A column without a name, or two of one name, cannot be picked out of the table.
    if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
        return None
    return [c for c in columns if isinstance(c, Mapping)]


def data_type(column: Mapping[str, Any], fmt: str) -> str:
    kind = column.get("type")
    declared = DATA_TYPES.get(kind if isinstance(kind, str) else "", "sc:Text")
    # Text formats may spell booleans in words; Parquet holds real ones.
    if declared == "sc:Boolean" and fmt != "parquet" and not _pandas_booleans(column):
        return "sc:Text"
    return declared


def _pandas_booleans(column: Mapping[str, Any]) -> bool:
    """Whether every value is known to be a true/false spelling pandas reads (the top
    values list them all) and none is missing (a "-" would read as True)."""
    top = column.get("top_values") or []
    values = {str(pair[0]) for pair in top if isinstance(pair, list | tuple) and pair}
    return (bool(values) and values <= _PANDAS_BOOLEANS and column.get("missing") == 0
            and column.get("distinct") == len(values))


def record_set(item: DatasetFile, file_id: str, ids: Ids) -> dict[str, Any] | None:
    """The file's rows, one field per profiled column, or None if it is not a table
    mlcroissant can read."""
    profile = item.profile or {}
    columns = _columns(profile)
    if columns is None:
        return None
    set_id = ids.take(_encode(item.path, _ID_UNSAFE))
    fields = []
    for column in columns:
        name = str(column["name"])
        fields.append({
            "@type": "cr:Field", "@id": ids.take(f"{set_id}/{_encode(name, _ID_UNSAFE_SEGMENT)}"),
            "name": name, "dataType": data_type(column, str(profile["format"])),
            "source": {"fileObject": {"@id": file_id}, "extract": {"column": name}},
        })
    rows = profile.get("row_count")
    return {"@type": "cr:RecordSet", "@id": set_id, "name": item.path,
            "description": f"The rows of {item.path} ({rows:,} when profiled at intake).",
            "field": fields}


def _files_and_tables(dataset: Dataset, version: DatasetVersion,
                      files: Iterable[DatasetFile], links: Links
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ids = Ids()
    assert version.rev is not None  # published versions have their manifest
    objects, sets = [], []
    entries = [(item, ids.take("files/" + _encode(item.path, _ID_UNSAFE))) for item in files]
    for item, file_id in entries:
        objects.append(file_object(item, file_id,
                                   links.download(dataset.slug, version.rev, item.path)))
    for item, file_id in entries:
        rows = record_set(item, file_id, ids)
        if rows is not None:
            sets.append(rows)
    return objects, sets


def build_croissant(session: Session, dataset: Dataset, version: DatasetVersion,
                    links: Links) -> dict[str, Any]:
    """The Croissant document of a published version (the caller checks it may be seen)."""
    files = version_files(session, version)
    decisions = latest_decisions(session, version.id)
    objects, sets = _files_and_tables(dataset, version, files, links)
    org = dataset.organization
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": dataset.slug,
        "description": _description(dataset),
        "license": _licence(dataset, links),
        "url": links.dataset(dataset.slug),
        "creator": {"@type": "sc:Organization", "name": _texts(org.name_ko, org.name_en),
                    "url": links.organization(org.slug)},
        "datePublished": _instant(version.published_at),
        "version": version.label,
        "citeAs": _cite_as(dataset, version, links),
        "keywords": [_in_its_language(name) for name in sorted(t.name for t in dataset.tags)],
        "isLiveDataset": False,
        "rai:personalSensitiveInformation": personal_data_statement(files, decisions),
        "distribution": objects,
        "recordSet": sets,
    }
    if not document["keywords"]:
        del document["keywords"]
    if not sets:
        del document["recordSet"]
    return document
