"""What a version's Croissant says: the dataset's metadata, one FileObject per manifest
file with the hashes and addresses of the hub, RecordSets for the tables mlcroissant can
read, the PII review; and that mlcroissant writes back exactly what it read."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import mlcroissant as mlc
import pytest
from fastapi.testclient import TestClient

# Private, but it is what mlcroissant itself writes and checks against; a new release
# that changes it must fail here, not in someone's loader.
from mlcroissant._src.core.rdf import make_context
from open_formats_helpers import (
    API,
    CLEARED,
    STATIONS_CSV,
    all_formats,
    as_json,
    publish_profiled,
    validate,
)
from rdflib import Graph, Literal

from aihub.app import create_app
from aihub.datasets.pii import TABLE_VERSION
from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from aihub.interop.croissant import CONFORMS_TO, CONTEXT
from factories import Factories

pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside rdflib 7.6


def _croissant(api: TestClient, slug: str, ref: str | None = None,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    path = f"/versions/{ref}" if ref else ""
    response = api.get(f"{API}/datasets/{slug}{path}/croissant.json", headers=headers)
    assert response.status_code == 200, response.text
    return as_json(response.content)


def test_context_is_mlcroissant_s_own_for_croissant_1_1() -> None:
    assert make_context(mlc.Context(conforms_to=CONFORMS_TO)) == CONTEXT
    assert list(CONTEXT) == list(make_context(mlc.Context(conforms_to=CONFORMS_TO)))


def test_the_document_describes_the_dataset_and_its_version(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    publish_profiled(live_hub, live_factories, live_factories.host(), "air", all_formats(),
                     licence="KOGL-2")
    version = api.get(f"{API}/datasets/air/versions/1.0.0").json()
    doc = _croissant(api, "air")
    assert doc["@type"] == "sc:Dataset" and doc["conformsTo"] == CONFORMS_TO
    assert doc["name"] == "air"
    assert doc["description"] == {"ko": "대기질 air\n\n측정소별 미세먼지.",
                                  "en": "Air quality air\n\nPM10 by station."}
    assert doc["license"] == "https://www.kogl.or.kr/info/licenseType2.do"
    assert doc["url"] == "http://testserver/datasets/air"
    assert doc["creator"]["name"] == {"ko": "대전광역시", "en": "Daejeon"}
    assert doc["version"] == "1.0.0"
    assert datetime.fromisoformat(doc["datePublished"]) == datetime.fromisoformat(
        version["published_at"])
    assert version["rev"] in doc["citeAs"] and "Air quality air" in doc["citeAs"]
    assert doc["keywords"] == ["air", {"@value": "대기질", "@language": "ko"}]
    assert doc["isLiveDataset"] is False
    statement = doc["rai:personalSensitiveInformation"]
    assert TABLE_VERSION in statement and "1 finding in 1 file, 1 cleared" in statement
    assert CLEARED not in statement  # the curator's reason stays with the curators


def test_each_file_is_a_file_object_whose_address_serves_its_bytes(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    files = all_formats()
    publish_profiled(live_hub, live_factories, live_factories.host(), "air", files)
    doc = _croissant(api, "air")
    objects = {item["name"]: item for item in doc["distribution"]}
    assert sorted(objects) == sorted(files)
    rev = api.get(f"{API}/datasets/air/versions/1.0.0").json()["rev"]
    for path, content in files.items():
        item = objects[path]
        assert item["@type"] == "cr:FileObject"
        assert item["sha256"] == hashlib.sha256(content).hexdigest()
        assert item["contentSize"] == f"{len(content)} B"
        assert item["contentUrl"].startswith(f"http://testserver{API}/datasets/air/"
                                             f"versions/{rev}/files/")
        served = api.get(item["contentUrl"].removeprefix("http://testserver"))
        assert served.status_code == 200 and served.content == content
    assert objects["legacy/지점 값.csv"]["@id"] == "files/legacy/지점%20값.csv"
    assert objects["data/pm25.parquet"]["encodingFormat"] == "application/x-parquet"
    assert objects["data/lines.jsonl"]["encodingFormat"] == "application/jsonlines"
    assert objects["README.md"]["encodingFormat"] == "text/markdown"


def test_record_sets_only_for_tables_mlcroissant_reads(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    publish_profiled(live_hub, live_factories, live_factories.host(), "air", all_formats())
    doc = _croissant(api, "air")
    sets = {item["@id"]: item for item in doc["recordSet"]}
    # Not the CP949 table (mlcroissant reads UTF-8), nor the README.
    assert sorted(sets) == ["data/lines.jsonl", "data/pm25.parquet", "data/readings.tsv",
                            "data/stations.csv"]
    types = {f["name"]: f["dataType"] for f in sets["data/stations.csv"]["field"]}
    assert types == {"station": "sc:Text", "pm10": "sc:Integer", "ratio": "sc:Float",
                     "measured_on": "sc:Date", "measured_at": "sc:DateTime",
                     "calibrated": "sc:Boolean", "contact": "sc:Text"}
    field = sets["data/stations.csv"]["field"][0]
    assert field["source"] == {"fileObject": {"@id": "files/data/stations.csv"},
                               "extract": {"column": "station"}}


def test_mlcroissant_writes_back_what_it_read(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    """Every property we write is one mlcroissant knows: it would drop the others."""
    publish_profiled(live_hub, live_factories, live_factories.host(), "air", all_formats())
    doc = _croissant(api, "air")
    written = validate(doc).dataset.metadata.to_json()
    assert json.loads(json.dumps(written, sort_keys=True, default=str)) == \
        json.loads(json.dumps(_plain(doc), sort_keys=True))


def _plain(value: Any) -> Any:
    """``value`` with each ``{"@value", "@language"}`` as its text: mlcroissant keeps a
    keyword's text and drops its language tag when it writes a document back."""
    if isinstance(value, dict):
        if set(value) == {"@value", "@language"}:
            return value["@value"]
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


@pytest.mark.parametrize(("licence", "expected"), [
    ("CC-BY-4.0", "https://spdx.org/licenses/CC-BY-4.0.html"),
    ("KOGL-1", "https://www.kogl.or.kr/info/licenseType1.do"),
])
def test_named_licences_are_their_addresses(api: TestClient, live_hub: Hub,
                                            live_factories: Factories, licence: str,
                                            expected: str) -> None:
    publish_profiled(live_hub, live_factories, live_factories.host(), "air",
                     {"a.csv": STATIONS_CSV}, licence=licence)
    assert _croissant(api, "air")["license"] == expected


def test_custom_terms_are_a_creative_work_with_their_text(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    publish_profiled(live_hub, live_factories, live_factories.host(), "air",
                     {"a.csv": STATIONS_CSV}, licence="custom",
                     licence_text="연구 목적으로만 이용할 수 있습니다.")
    doc = _croissant(api, "air")
    assert doc["license"] == {"@type": "sc:CreativeWork", "name": "Custom terms",
                              "description": {"ko": "연구 목적으로만 이용할 수 있습니다."},
                              "url": "http://testserver/datasets/air"}
    assert validate(doc).warnings == []


def test_korean_text_is_tagged_korean_not_the_contexts_english(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    # The context's "@language": "en" makes every plain string English to an RDF reader.
    host = live_factories.host()
    publish_profiled(live_hub, live_factories, host, "air", {"a.csv": STATIONS_CSV},
                     licence="custom", licence_text="연구 목적으로만 이용할 수 있습니다.")
    with live_hub.db.transaction() as session:  # a dataset titled in Korean only
        get_dataset(session, "air").title_en = ""
    doc = _croissant(api, "air")
    graph = Graph().parse(data=json.dumps(doc), format="json-ld")
    languages = {str(o): o.language for _, p, o in graph
                 if isinstance(o, Literal) and str(p).rsplit("/", 1)[-1] in
                 ("keywords", "citeAs", "description")}
    assert languages["대기질"] == "ko" and languages["air"] == "en"
    assert languages["연구 목적으로만 이용할 수 있습니다."] == "ko"
    assert [lang for text, lang in languages.items() if "[Data set]" in text] == ["ko"]
    checked = validate(doc)
    assert checked.warnings == []
    assert checked.dataset.metadata.keywords == ["air", "대기질"]


def test_a_label_and_its_rev_give_the_same_document(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    host = live_factories.host()
    publish_profiled(live_hub, live_factories, host, "air", {"a.csv": STATIONS_CSV})
    more = STATIONS_CSV + b"x,1,1,2024-01-01,2024-01-01T00:00:00,false,y\n"
    publish_profiled(live_hub, live_factories, host, "air", {"a.csv": more}, label="1.1.0",
                     new=False)
    rev = api.get(f"{API}/datasets/air/versions/1.0.0").json()["rev"]
    by_label, by_rev = _croissant(api, "air", "1.0.0"), _croissant(api, "air", rev)
    assert by_label == by_rev and by_label["version"] == "1.0.0"
    latest = _croissant(api, "air")
    assert latest == _croissant(api, "air", "1.1.0") and latest != by_label


def test_the_public_base_url_makes_every_address(
        live_hub: Hub, live_factories: Factories) -> None:
    publish_profiled(live_hub, live_factories, live_factories.host(), "air",
                     {"a.csv": STATIONS_CSV})
    settings = live_hub.settings.model_copy(
        update={"public_base_url": "https://hub.example.kr/", "workers_in_process": 0})
    hub = Hub(settings, start_workers=False)
    try:
        with TestClient(create_app(hub=hub)) as client:
            doc = _croissant(client, "air")
    finally:
        hub.close()
    assert doc["url"] == "https://hub.example.kr/datasets/air"
    assert doc["distribution"][0]["contentUrl"].startswith(
        f"https://hub.example.kr{API}/datasets/air/versions/")
    assert doc["creator"]["url"] == "https://hub.example.kr/organizations/daejeon-city"


def test_a_label_outside_semantic_versioning_is_the_one_warning_left(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    """Labels are kept as hosts wrote them; mlcroissant wants MAJOR.MINOR.PATCH for a
    pre-release and says so, as a warning only."""
    publish_profiled(live_hub, live_factories, live_factories.host(), "air",
                     {"a.csv": STATIONS_CSV}, label="1.0-beta")
    warnings = validate(_croissant(api, "air")).warnings
    assert warnings and all("doesn't follow MAJOR.MINOR.PATCH: 1.0-beta" in w
                            for w in warnings)
